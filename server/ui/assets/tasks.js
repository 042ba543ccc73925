// The task list: filters (status, type, queue; owner for admins) and
// keyset paging with the API's cursor. The first page refreshes every 5 s.
import * as api from './api.js';
import { h, replace, announce, field, select, statusBadge, timeEl, priorityName } from './dom.js';
import { refresher, hasFocus } from './refresh.js';

export const statuses = ['pending', 'running', 'completed', 'failed', 'cancelled', 'dead_letter'];
const pageSize = 20;

export function tasksView(ctx) {
  const admin = api.isAdmin();
  const p = ctx.params;
  const filters = {
    status: p.get('status') || '', type: p.get('type') || '',
    queue: p.get('queue') || '', owner: admin ? p.get('owner') || '' : '',
  };
  const status = select([['', 'Any status'], ...statuses.map((s) => [s, s.replace('_', ' ')])], filters.status);
  const type = h('input', { type: 'text', value: filters.type, autocomplete: 'off', spellcheck: 'false' });
  const queue = h('input', { type: 'text', value: filters.queue, autocomplete: 'off', spellcheck: 'false' });
  const owner = admin ? h('input', { type: 'text', value: filters.owner, autocomplete: 'off', spellcheck: 'false' }) : null;
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter tasks', id: 'task-filters' },
    field('f-status', 'Status', status),
    field('f-type', 'Type', type),
    field('f-queue', 'Queue', queue),
    owner ? field('f-owner', 'Owner', owner) : null,
    h('button', { type: 'submit', class: 'primary' }, 'Apply filters'),
    h('button', { type: 'button', id: 'clear-filters', onclick: () => ctx.go('#/tasks') }, 'Clear'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = '#/tasks' + api.query({
      status: status.value, type: type.value.trim(), queue: queue.value.trim(), owner: owner ? owner.value.trim() : '',
    });
    if (location.hash === next) run(false);
    else ctx.go(next);
  });

  const error = h('p', { class: 'error', role: 'alert' });
  const rows = h('tbody', { id: 'task-rows' });
  const newer = h('button', { type: 'button', id: 'page-newer', disabled: true }, 'Newer');
  const older = h('button', { type: 'button', id: 'page-older', disabled: true }, 'Older');
  const pageLabel = h('span', { id: 'page-label' }, 'Page 1');
  const cursors = [''];
  let page = 0;
  let next = null;
  let seen = null; // ids and statuses shown on the first page

  async function load(auto) {
    if (auto && (page > 0 || hasFocus(rows))) return false; // never move what the user is on
    let body;
    try {
      body = await api.call('GET', '/api/tasks' + api.query({ ...filters, limit: pageSize, cursor: cursors[page] }));
      error.textContent = '';
    } catch (err) {
      error.textContent = 'Could not list tasks: ' + err.message;
      throw err;
    }
    next = body.next_cursor;
    newer.disabled = page === 0;
    older.disabled = !next;
    pageLabel.textContent = `Page ${page + 1}`;
    replace(rows, body.tasks.length === 0
      ? h('tr', {}, h('td', { colspan: admin ? 8 : 7, class: 'empty' }, 'No tasks match.'))
      : body.tasks.map((t) => h('tr', { 'data-id': t.id },
        h('td', {}, h('a', { href: '#/tasks/' + encodeURIComponent(t.id), class: 'mono' }, t.id)),
        h('td', {}, t.type),
        h('td', {}, statusBadge(t.status)),
        h('td', {}, t.queue),
        h('td', {}, priorityName(t.priority)),
        h('td', {}, timeEl(t.created)),
        h('td', { class: 'num' }, t.attempts),
        admin ? h('td', { class: 'mono' }, t.owner || '—') : null)));
    if (page === 0) {
      const now = new Map(body.tasks.map((t) => [t.id, t.status]));
      if (seen !== null) {
        let added = 0;
        let changed = 0;
        for (const [id, st] of now) {
          if (!seen.has(id)) added++;
          else if (seen.get(id) !== st) changed++;
        }
        if (added || changed) announce(`Task list updated: ${added} new, ${changed} changed status.`);
      }
      seen = now;
    }
    return true;
  }

  newer.addEventListener('click', () => { page--; run(false).then(() => newer.disabled ? older.focus() : newer.focus()); });
  older.addEventListener('click', () => {
    if (!next) return;
    cursors[page + 1] = next;
    page++;
    run(false).then(() => older.disabled ? newer.focus() : older.focus());
  });

  const { bar, run } = refresher(ctx, 5000, load);
  replace(ctx.main,
    h('h1', {}, 'Tasks'),
    form,
    bar,
    error,
    h('table', { id: 'tasks' },
      h('caption', {}, 'Tasks, newest first' + describe(filters)),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'ID'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Status'),
        h('th', { scope: 'col' }, 'Queue'), h('th', { scope: 'col' }, 'Priority'), h('th', { scope: 'col' }, 'Created'),
        h('th', { scope: 'col', class: 'num' }, 'Attempts'), admin ? h('th', { scope: 'col' }, 'Owner') : null)),
      rows),
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, pageLabel, older));
  run(false);
}

function describe(f) {
  const parts = Object.entries(f).filter(([, v]) => v).map(([k, v]) => `${k} ${v}`);
  return parts.length ? ' (' + parts.join(', ') + ')' : '';
}
