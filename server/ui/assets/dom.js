// DOM helpers. Text always goes in as text (never as HTML), so nothing
// from the API can inject markup.

/** Creates an element: h('a', {href: '#'}, 'text', child...). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, '');
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }
}

/** Replaces the children of el. */
export function replace(el, ...children) {
  el.replaceChildren();
  append(el, children);
}

/** Announces text to screen readers through the polite live region. */
export function announce(text) {
  const region = document.getElementById('announce');
  region.textContent = '';
  // A new text node after clearing makes screen readers speak it again.
  setTimeout(() => { region.textContent = text; }, 50);
}

/** Formats an RFC 3339 time in the browser's zone, or a dash. */
export function time(v) {
  if (!v) return '—';
  const d = new Date(v);
  return isNaN(d) ? v : d.toLocaleString();
}

/** A <time> element for an RFC 3339 value. */
export function timeEl(v) {
  return v ? h('time', { datetime: v }, time(v)) : '—';
}

const priorities = ['low', 'medium', 'high', 'critical'];
export function priorityName(p) { return priorities[p] ?? String(p); }

/** A status badge: the status in words, colour only as a hint. */
export function statusBadge(s) {
  return h('span', { class: 'status status-' + s }, s.replace('_', ' '));
}

/** A labelled form field (a div with label and control). */
export function field(id, label, control) {
  control.id = id;
  return h('div', {}, h('label', { for: id }, label), control);
}

/** A select with options [[value, label]...], the given value selected. */
export function select(options, value) {
  return h('select', {}, options.map(([v, l]) => h('option', { value: v, selected: v === value }, l)));
}

/**
 * A button that asks for confirmation: the first press turns it into
 * "confirm"; the second runs action; leaving it resets it.
 */
export function confirmButton(label, confirmLabel, action, attrs) {
  const b = h('button', Object.assign({ type: 'button', class: 'danger' }, attrs || {}), label);
  let armed = false;
  const reset = () => { armed = false; b.textContent = label; };
  b.addEventListener('click', async () => {
    if (!armed) {
      armed = true;
      b.textContent = confirmLabel;
      announce(`Press again to ${confirmLabel.toLowerCase()}.`);
      return;
    }
    reset();
    await action();
  });
  b.addEventListener('blur', reset);
  return b;
}
