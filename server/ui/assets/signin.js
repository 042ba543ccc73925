// The sign-in view: an API key, exchanged for a token kept in memory.
import * as api from './api.js';
import { h, replace } from './dom.js';

export function signInView(ctx, { notice, onSignedIn }) {
  const input = h('input', {
    id: 'api-key', name: 'api_key', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'api-key-help signin-error',
  });
  const error = h('p', { id: 'signin-error', class: 'error', role: 'alert' });
  const button = h('button', { type: 'submit', class: 'primary', id: 'sign-in' }, 'Sign in');
  const form = h('form', { id: 'signin-form', novalidate: true },
    h('label', { for: 'api-key' }, 'API key'),
    input,
    h('p', { id: 'api-key-help', class: 'help' },
      'The key is exchanged for a short-lived token held in this page\u2019s memory only; ',
      'the key itself is not kept. Reloading the page signs you out.'),
    error,
    button);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const key = input.value.trim();
    if (!key) {
      error.textContent = 'Enter an API key.';
      input.setAttribute('aria-invalid', 'true');
      input.focus();
      return;
    }
    button.disabled = true;
    error.textContent = '';
    try {
      await api.signIn(key);
      input.value = '';
      onSignedIn();
    } catch (err) {
      error.textContent = err.status === 401 ? 'Sign-in failed: ' + err.message + '.'
        : err.status === 429 ? 'Too many attempts: ' + err.message + '.'
          : 'Sign-in failed: ' + err.message;
      input.setAttribute('aria-invalid', 'true');
      input.focus();
    } finally {
      button.disabled = false;
    }
  });
  replace(ctx.main, h('section', { class: 'signin', 'aria-labelledby': 'signin-title' },
    h('h1', { id: 'signin-title' }, 'Sign in to taskq'),
    h('p', { class: 'notice', role: 'status', id: 'signin-notice' }, notice || ''),
    form));
  input.focus();
}
