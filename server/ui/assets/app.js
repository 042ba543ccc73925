// The console's shell: sign-in, navigation between views (hash routes),
// focus management and the session.
import * as api from './api.js';
import { replace, announce } from './dom.js';
import { signInView } from './signin.js';
import { overviewView } from './overview.js';
import { tasksView } from './tasks.js';
import { taskView } from './task.js';
import { dlqView } from './dlq.js';

const main = document.getElementById('main');
let cleanup = [];
let notice = '';

/** Context handed to a view. */
function context(params) {
  return {
    main,
    params,
    /** Runs fn every ms until the view is left. */
    every(ms, fn) {
      const id = setInterval(fn, ms);
      cleanup.push(() => clearInterval(id));
      return () => clearInterval(id);
    },
    onLeave(fn) { cleanup.push(fn); },
    go(hash) { location.hash = hash; },
  };
}

function leave() {
  for (const f of cleanup) f();
  cleanup = [];
}

function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [path, qs] = raw.split('?');
  return { parts: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(qs || '') };
}

function setChrome() {
  const p = api.principal();
  const signedIn = p !== null;
  document.getElementById('nav').hidden = !signedIn;
  document.getElementById('who').hidden = !signedIn;
  for (const li of document.querySelectorAll('[data-admin]')) li.hidden = !api.isAdmin();
  if (signedIn) {
    document.getElementById('who-name').textContent = p.sub;
    document.getElementById('who-role').textContent = p.role;
  }
}

function markNav(name) {
  for (const a of document.querySelectorAll('#nav a')) {
    if (a.id === 'nav-' + name) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}

async function render() {
  leave();
  setChrome();
  const { parts, params } = parseHash();
  if (api.principal() === null) {
    markNav('');
    document.title = 'Sign in · taskq console';
    signInView(context(params), { notice, onSignedIn });
    notice = '';
    return;
  }
  let view = parts[0] || (api.isAdmin() ? 'overview' : 'tasks');
  if (!api.isAdmin() && (view === 'overview' || view === 'dlq')) view = 'tasks';
  markNav(view);
  const ctx = context(params);
  replace(main);
  if (view === 'overview') overviewView(ctx);
  else if (view === 'tasks' && parts[1]) taskView(ctx, parts[1]);
  else if (view === 'dlq') dlqView(ctx);
  else tasksView(ctx);
  const h1 = main.querySelector('h1');
  document.title = (h1 ? h1.textContent + ' · ' : '') + 'taskq console';
  if (h1) {
    h1.tabIndex = -1;
    h1.focus();
  }
}

function onSignedIn() {
  const p = api.principal();
  announce(`Signed in as ${p.sub}, role ${p.role}.`);
  if (location.hash === '' || location.hash === '#/' || location.hash === '#/signin') {
    location.hash = api.isAdmin() ? '#/overview' : '#/tasks';
  } else {
    render();
  }
}

api.whenExpired((message) => {
  notice = message;
  render();
});

document.getElementById('sign-out').addEventListener('click', () => {
  api.signOut();
  notice = 'You are signed out.';
  if (location.hash === '' || location.hash === '#/') render();
  else location.hash = '#/'; // hashchange renders
});

document.getElementById('skip').addEventListener('click', (e) => {
  e.preventDefault();
  const h1 = main.querySelector('h1');
  (h1 || main).focus();
});

window.addEventListener('hashchange', render);
render();

// Surface failures of the views' background work instead of hiding them.
window.addEventListener('unhandledrejection', (e) => {
  if (e.reason instanceof api.ApiError && e.reason.status === 401) return;
  announce('Error: ' + (e.reason && e.reason.message ? e.reason.message : String(e.reason)));
});

