package auth

import (
	"context"
	"crypto/subtle"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/taskq/taskq"
)

// CountsAsFailure reports whether err is a failed authentication that
// should count toward IP blocking: an unauthorized error of this package
// other than missing credentials. Store outages do not count.
func CountsAsFailure(err error) bool {
	r := ReasonOf(err)
	return r != "" && r != ReasonNoCredentials
}

// Authenticator authenticates API keys and bearer tokens and exchanges keys
// for tokens. A token is accepted only while the key it was issued for is
// active, so revoking a key stops its tokens at once. It is safe for
// concurrent use.
type Authenticator struct {
	keys     *Keys
	verifier *Verifier
	issuer   *Issuer
}

// NewAuthenticator combines keys with a verifier and an issuer. keys is
// required; without a verifier bearer tokens are refused, without an
// issuer ExchangeAPIKey fails.
func NewAuthenticator(keys *Keys, verifier *Verifier, issuer *Issuer) (*Authenticator, error) {
	if keys == nil {
		return nil, errors.New("auth: NewAuthenticator: nil Keys (use NewKeys)")
	}
	return &Authenticator{keys: keys, verifier: verifier, issuer: issuer}, nil
}

// Keys returns the key service (for create, list, revoke).
func (a *Authenticator) Keys() *Keys { return a.keys }

// AuthenticateAPIKey authenticates an API key secret (X-API-Key).
func (a *Authenticator) AuthenticateAPIKey(ctx context.Context, key string) (Principal, error) {
	return a.keys.Authenticate(ctx, key)
}

// AuthenticateBearer verifies a JWT and checks that its principal still
// exists: for sub "admin" the bootstrap admin key must still be the one
// the token was issued for (a claim holds a fingerprint of its hash), any
// other sub must name an active key with the token's role.
func (a *Authenticator) AuthenticateBearer(ctx context.Context, token string) (Principal, error) {
	if a.verifier == nil {
		return Principal{}, fail(ReasonInvalidAlgorithm, "bearer tokens are not accepted", nil)
	}
	p, fp, err := a.verifier.verify(token)
	if err != nil {
		return Principal{}, err
	}
	if p.ID == AdminPrincipalID {
		// The token names the bootstrap key it was issued for by
		// fingerprint: a changed (or removed) key ends its tokens.
		if !a.keys.HasAdminKey() {
			return Principal{}, fail(ReasonUnknownKey, "token key no longer exists", nil)
		}
		if p.Role != RoleAdmin {
			return Principal{}, fail(ReasonInvalidClaims, "token role does not match its key", nil)
		}
		if subtle.ConstantTimeCompare([]byte(fp), []byte(a.keys.adminFingerprint())) != 1 {
			return Principal{}, fail(ReasonUnknownKey, "token key no longer exists", nil)
		}
		return p, nil
	}
	return a.keys.keyPrincipal(ctx, p.ID, p.Role)
}

// AuthenticateRequest reads the credentials of a request: the
// "Authorization: Bearer <jwt>" header or the "X-API-Key" header (not
// both). With neither it returns an unauthorized error with
// ReasonNoCredentials.
func (a *Authenticator) AuthenticateRequest(ctx context.Context, h http.Header) (Principal, error) {
	authz, key := h.Values("Authorization"), h.Values("X-API-Key")
	switch {
	case len(authz) == 0 && len(key) == 0:
		return Principal{}, fail(ReasonNoCredentials, "missing credentials", nil)
	case len(authz)+len(key) > 1:
		return Principal{}, fail(ReasonMalformed, "send exactly one of Authorization and X-API-Key", nil)
	case len(key) == 1:
		return a.AuthenticateAPIKey(ctx, strings.TrimSpace(key[0]))
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(authz[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return Principal{}, fail(ReasonMalformed, "Authorization must use the Bearer scheme", nil)
	}
	return a.AuthenticateBearer(ctx, strings.TrimSpace(token))
}

// ExchangeAPIKey authenticates an API key and issues an access token for
// its principal (POST /api/auth/token).
func (a *Authenticator) ExchangeAPIKey(ctx context.Context, key string) (token string, expiresIn time.Duration, p Principal, err error) {
	if a.issuer == nil {
		return "", 0, Principal{}, taskq.NewError(taskq.CodeServiceUnavailable, "token issuing is not configured")
	}
	p, err = a.keys.Authenticate(ctx, key)
	if err != nil {
		return "", 0, Principal{}, err
	}
	fp := ""
	if p.ID == AdminPrincipalID {
		fp = a.keys.adminFingerprint()
	}
	token, expiresIn, err = a.issuer.issue(p.ID, p.Role, fp)
	if err != nil {
		return "", 0, Principal{}, taskq.WrapError(taskq.CodeInternal, "cannot issue token", err)
	}
	return token, expiresIn, p, nil
}
