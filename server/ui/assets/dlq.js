// The dead letter queue (admins): entries oldest first, filtered by
// type, with retry and delete per entry and a bulk retry of every
// matching entry (one after the other).
import * as api from './api.js';
import { h, replace, announce, field, timeEl, confirmButton } from './dom.js';
import { refresher, hasFocus } from './refresh.js';

const pageSize = 20;

export function dlqView(ctx) {
  const filters = { type: ctx.params.get('type') || '' };
  const type = h('input', { type: 'text', value: filters.type, autocomplete: 'off', spellcheck: 'false' });
  const form = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter dead letters', id: 'dlq-filters' },
    field('d-type', 'Type', type),
    h('button', { type: 'submit', class: 'primary' }, 'Apply filter'));
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const next = '#/dlq' + api.query({ type: type.value.trim() });
    if (location.hash === next) run(false);
    else ctx.go(next);
  });

  const error = h('p', { class: 'error', role: 'alert' });
  const progress = h('p', { class: 'notice', id: 'bulk-status' });
  const rows = h('tbody', { id: 'dlq-rows' });
  const bulk = h('button', { type: 'button', id: 'retry-all' }, 'Retry all matching');
  const newer = h('button', { type: 'button', id: 'dlq-newer', disabled: true }, 'Previous');
  const older = h('button', { type: 'button', id: 'dlq-older', disabled: true }, 'Next');
  const pageLabel = h('span', {}, 'Page 1');
  const cursors = [''];
  let page = 0;
  let next = null;
  let count = null;

  async function retry(id) {
    try {
      await api.call('POST', `/api/dlq/${encodeURIComponent(id)}/retry`);
      announce(`Task ${id} sent back to the queue.`);
      progress.textContent = `Retried ${id}.`;
    } catch (err) {
      error.textContent = `Retry of ${id} failed: ${err.message}`;
    }
    await run(false);
  }

  async function remove(id) {
    try {
      await api.call('DELETE', '/api/dlq/' + encodeURIComponent(id));
      announce(`Task ${id} deleted.`);
      progress.textContent = `Deleted ${id}.`;
    } catch (err) {
      error.textContent = `Delete of ${id} failed: ${err.message}`;
    }
    await run(false);
  }

  async function load(auto) {
    if (auto && (page > 0 || hasFocus(rows))) return false;
    let body;
    try {
      body = await api.call('GET', '/api/dlq' + api.query({ ...filters, limit: pageSize, cursor: cursors[page] }));
      error.textContent = '';
    } catch (err) {
      error.textContent = 'Could not list the dead letter queue: ' + err.message;
      throw err;
    }
    next = body.next_cursor;
    newer.disabled = page === 0;
    older.disabled = !next;
    pageLabel.textContent = `Page ${page + 1}`;
    replace(rows, body.tasks.length === 0
      ? h('tr', {}, h('td', { colspan: 7, class: 'empty' }, 'The dead letter queue is empty' + (filters.type ? ' for this type.' : '.')))
      : body.tasks.map((t) => h('tr', { 'data-id': t.id },
        h('td', {}, h('a', { href: '#/tasks/' + encodeURIComponent(t.id), class: 'mono' }, t.id)),
        h('td', {}, t.type),
        h('td', {}, t.queue),
        h('td', {}, t.error ? t.error.message : '—'),
        h('td', {}, timeEl(t.dead_lettered_at)),
        h('td', { class: 'num' }, t.dlq_retry_count),
        h('td', {}, h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions for ' + t.id },
          h('button', { type: 'button', class: 'retry', 'aria-label': 'Retry ' + t.id, onclick: () => retry(t.id) }, 'Retry'),
          confirmButton('Delete', 'Confirm delete', () => remove(t.id), { class: 'danger delete', 'aria-label': 'Delete ' + t.id }))))));
    if (page === 0) {
      const n = body.tasks.length + (next ? '+' : '');
      if (count !== null && count !== n) announce(`Dead letter queue updated: ${n} entries on the first page.`);
      count = n;
    }
    return true;
  }

  bulk.addEventListener('click', async () => {
    bulk.disabled = true;
    error.textContent = '';
    try {
      const ids = [];
      let cursor = '';
      do {
        const b = await api.call('GET', '/api/dlq' + api.query({ ...filters, limit: 1000, cursor }));
        ids.push(...b.tasks.map((t) => t.id));
        cursor = b.next_cursor;
      } while (cursor);
      let ok = 0;
      const failed = [];
      for (const [i, id] of ids.entries()) {
        progress.textContent = `Retrying ${i + 1} of ${ids.length}…`;
        try {
          await api.call('POST', `/api/dlq/${encodeURIComponent(id)}/retry`);
          ok++;
        } catch (err) {
          failed.push(`${id}: ${err.message}`);
        }
      }
      const summary = ids.length === 0 ? 'Nothing to retry.'
        : `Retried ${ok} of ${ids.length}` + (failed.length ? `; ${failed.length} failed (${failed.slice(0, 3).join('; ')}${failed.length > 3 ? '; …' : ''}).` : '.');
      progress.textContent = summary;
      announce(summary);
    } catch (err) {
      error.textContent = 'Bulk retry stopped: ' + err.message;
    } finally {
      bulk.disabled = false;
      await run(false);
    }
  });
  newer.addEventListener('click', () => { page--; run(false); });
  older.addEventListener('click', () => {
    if (!next) return;
    cursors[page + 1] = next;
    page++;
    run(false);
  });

  const { bar, run } = refresher(ctx, 5000, load);
  replace(ctx.main,
    h('h1', {}, 'Dead letter queue'),
    form,
    bar,
    h('div', { class: 'actions' }, bulk),
    progress,
    error,
    h('table', { id: 'dlq' },
      h('caption', {}, 'Dead letters, oldest first' + (filters.type ? ` (type ${filters.type})` : '')),
      h('thead', {}, h('tr', {},
        h('th', { scope: 'col' }, 'ID'), h('th', { scope: 'col' }, 'Type'), h('th', { scope: 'col' }, 'Queue'),
        h('th', { scope: 'col' }, 'Error'), h('th', { scope: 'col' }, 'Dead-lettered'),
        h('th', { scope: 'col', class: 'num' }, 'DLQ retries'), h('th', { scope: 'col' }, 'Actions'))),
      rows),
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, pageLabel, older));
  run(false);
}
