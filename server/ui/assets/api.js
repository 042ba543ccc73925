// The API client. The bearer token lives in this module's memory only:
// never in web storage or a cookie. The API key it was
// exchanged for is not kept at all.

let token = null;
let claims = null;
let expiryTimer = null;
let onExpired = () => {};

/** An API error answer: HTTP status, error code and message. */
export class ApiError extends Error {
  constructor(status, body) {
    const e = body && body.error ? body.error : {};
    super(e.message || `HTTP ${status}`);
    this.status = status;
    this.code = e.code || '';
    this.details = e.details || [];
  }
}

/** Calls f(message) when the session ends by itself (expiry, revocation). */
export function whenExpired(f) { onExpired = f; }

/** The signed-in principal: {sub, role, exp}, or null. */
export function principal() { return claims; }

export function isAdmin() { return claims !== null && claims.role === 'admin'; }

function decodeClaims(jwt) {
  const part = jwt.split('.')[1] || '';
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

async function readBody(res) {
  if (res.status === 204) return null;
  const text = await res.text();
  if (!text) return null;
  try { return JSON.parse(text); } catch { return null; }
}

function expire(message) {
  signOut();
  onExpired(message);
}

/** Exchanges an API key for a token through POST /api/auth/token. */
export async function signIn(apiKey) {
  const res = await fetch('/api/auth/token', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ api_key: apiKey }),
    credentials: 'omit',
    cache: 'no-store',
  });
  const body = await readBody(res);
  if (!res.ok) throw new ApiError(res.status, body);
  token = body.access_token;
  claims = decodeClaims(token);
  clearTimeout(expiryTimer);
  const ms = claims.exp * 1000 - Date.now();
  if (Number.isFinite(ms)) {
    // Timers beyond 2^31-1 ms fire at once: re-arm in steps for long tokens.
    const arm = (left) => {
      expiryTimer = left > 2 ** 30
        ? setTimeout(() => arm(left - 2 ** 30), 2 ** 30)
        : setTimeout(() => expire('Your session expired. Sign in again.'), Math.max(left, 0));
    };
    arm(ms);
  }
}

/** Forgets the token. */
export function signOut() {
  token = null;
  claims = null;
  clearTimeout(expiryTimer);
}

/** Calls the API with the token; resolves to the decoded body (null for 204). */
export async function call(method, path, body) {
  if (token === null) throw new ApiError(401, { error: { message: 'not signed in' } });
  const headers = { Authorization: 'Bearer ' + token };
  const init = { method, headers, credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const data = await readBody(res);
  if (!res.ok) {
    const err = new ApiError(res.status, data);
    if (res.status === 401) expire(`Signed out: ${err.message}.`);
    throw err;
  }
  return data;
}

/** Builds a query string from the non-empty entries of params. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, v);
  }
  const s = q.toString();
  return s ? '?' + s : '';
}
