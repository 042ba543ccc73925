// Overview (admins): queues with their counts, throughput, error rate
// and the DLQ size, refreshed every 5 s.
import * as api from './api.js';
import { h, replace, announce } from './dom.js';
import { refresher, hasFocus } from './refresh.js';

function fmt(n, digits = 1) {
  return Number(n).toLocaleString(undefined, { maximumFractionDigits: digits });
}

function card(id, label, value, note) {
  return h('div', {},
    h('dt', { id: id + '-label' }, label),
    h('dd', { id, 'aria-describedby': note ? id + '-note' : null }, value),
    note ? h('dd', { class: 'help', id: id + '-note' }, note) : null);
}

export function overviewView(ctx) {
  const cards = h('dl', { class: 'cards', id: 'stats' });
  const rows = h('tbody', { id: 'queue-rows' });
  const error = h('p', { class: 'error', role: 'alert' });
  let last = '';

  async function load(auto) {
    if (auto && (hasFocus(rows) || hasFocus(cards))) return false; // keep the link you are on
    let q, s;
    try {
      [q, s] = await Promise.all([api.call('GET', '/api/queues'), api.call('GET', '/api/stats')]);
      error.textContent = '';
    } catch (err) {
      error.textContent = 'Could not load the overview: ' + err.message;
      throw err;
    }
    const win = `this server, last ${s.window_seconds} s`;
    replace(cards,
      card('throughput', 'Throughput', fmt(s.processed_per_minute) + ' / min', 'Attempts finished, ' + win),
      card('failures', 'Failed attempts', fmt(s.failed_per_minute) + ' / min', win),
      card('error-rate', 'Error rate', fmt(s.error_rate * 100) + ' %', 'Failed of finished attempts'),
      card('dlq-size', 'Dead letters', fmt(s.dlq_size, 0), h('a', { href: '#/dlq' }, 'Open the dead letter queue')));
    replace(rows, q.queues.length === 0
      ? h('tr', {}, h('td', { colspan: 6, class: 'empty' }, 'No queues.'))
      : q.queues.map((x) => h('tr', {},
        h('th', { scope: 'row' }, h('a', { href: '#/tasks?queue=' + encodeURIComponent(x.name) }, x.name),
          x.paused ? ' (paused)' : ''),
        h('td', { class: 'num' }, fmt(x.size, 0)),
        h('td', { class: 'num' }, fmt(x.pending, 0)),
        h('td', { class: 'num' }, fmt(x.ready, 0)),
        h('td', { class: 'num' }, fmt(x.scheduled, 0)),
        h('td', { class: 'num' }, fmt(x.running, 0)))));
    const queued = q.queues.reduce((n, x) => n + x.size, 0);
    const summary = `${fmt(queued, 0)} tasks queued, ${fmt(s.dlq_size, 0)} dead letters`;
    if (last !== '' && summary !== last) announce('Overview updated: ' + summary + '.');
    last = summary;
    return true;
  }

  const { bar, run } = refresher(ctx, 5000, load);
  replace(ctx.main,
    h('h1', {}, 'Overview'),
    bar,
    error,
    h('section', { 'aria-labelledby': 'stats-title' }, h('h2', { id: 'stats-title' }, 'Processing'), cards),
    h('section', { 'aria-labelledby': 'queues-title' },
      h('h2', { id: 'queues-title' }, 'Queues'),
      h('table', { id: 'queues' },
        h('caption', {}, 'Entries per queue: pending are ready or scheduled (including retries waiting for their backoff); running are leased by a worker.'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Queue'),
          h('th', { scope: 'col', class: 'num' }, 'Size'),
          h('th', { scope: 'col', class: 'num' }, 'Pending'),
          h('th', { scope: 'col', class: 'num' }, 'Ready'),
          h('th', { scope: 'col', class: 'num' }, 'Scheduled'),
          h('th', { scope: 'col', class: 'num' }, 'Running'))),
        rows)));
  run(false);
}
