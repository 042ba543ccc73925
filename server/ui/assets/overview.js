// Overview (admins): queues with their counts and pause state (with a
// pause / resume button each), throughput, error rate and the DLQ size,
// refreshed every 5 s.
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

/** The id of a queue's pause / resume button. */
function toggleID(name) { return 'queue-toggle-' + name; }

export function overviewView(ctx) {
  const cards = h('dl', { class: 'cards', id: 'stats' });
  const rows = h('tbody', { id: 'queue-rows' });
  const error = h('p', { class: 'error', role: 'alert' });
  const status = h('p', { class: 'notice', id: 'queue-status' });
  let queues = [];
  let last = '';
  // changes counts pause and resume calls: a refresh that began before
  // one keeps its figures but not its (older) queue list.
  let changes = 0;

  // setPaused pauses or resumes a queue, shows the answer in its row and
  // keeps keyboard focus on the (relabelled) button.
  async function setPaused(name, pause) {
    const action = pause ? 'pause' : 'resume';
    changes++;
    try {
      const q = await api.call('POST', `/api/queues/${encodeURIComponent(name)}/${action}`);
      changes++; // and a refresh that began while it was under way
      queues = queues.map((x) => (x.name === q.name ? q : x));
      renderQueues();
      const text = pause
        ? `Queue ${name} paused: it accepts tasks, workers start none of them until it is resumed.`
        : `Queue ${name} resumed: workers start its tasks again.`;
      status.textContent = text;
      error.textContent = '';
      announce(text);
    } catch (err) {
      error.textContent = `Could not ${action} queue ${name}: ${err.message}`;
    }
    const b = document.getElementById(toggleID(name));
    if (b) b.focus();
  }

  function queueRow(x) {
    const verb = x.paused ? 'Resume' : 'Pause';
    return h('tr', { 'data-queue': x.name, class: x.paused ? 'paused' : null },
      h('th', { scope: 'row' }, h('a', { href: '#/tasks?queue=' + encodeURIComponent(x.name) }, x.name)),
      h('td', {}, h('span', { class: 'status ' + (x.paused ? 'status-paused' : 'status-active') }, x.paused ? 'paused' : 'active')),
      h('td', { class: 'num' }, fmt(x.size, 0)),
      h('td', { class: 'num' }, fmt(x.pending, 0)),
      h('td', { class: 'num' }, fmt(x.ready, 0)),
      h('td', { class: 'num' }, fmt(x.scheduled, 0)),
      h('td', { class: 'num' }, fmt(x.running, 0)),
      h('td', {}, h('button', {
        type: 'button', id: toggleID(x.name), class: 'queue-toggle',
        'aria-label': `${verb} queue ${x.name}`,
        // The current state, not x's: the row outlives x (updateRow).
        onclick: () => setPaused(x.name, !(queues.find((q) => q.name === x.name) ?? x).paused),
      }, verb)));
  }

  // updateRow brings a drawn row up to date in place: cells whose content
  // changed are replaced, the button is relabelled but stays the same
  // element, so focus and a key press on it survive (Space clicks on key
  // up: a button replaced between key down and key up misses the click).
  function updateRow(tr, x) {
    const fresh = queueRow(x);
    tr.className = fresh.className;
    const cells = Array.from(tr.children);
    const next = Array.from(fresh.children);
    const last = cells.length - 1;
    for (let i = 0; i < last; i++) {
      if (!cells[i].isEqualNode(next[i])) cells[i].replaceWith(next[i]);
    }
    const b = cells[last].firstElementChild;
    const nb = next[last].firstElementChild;
    if (b.textContent !== nb.textContent) b.textContent = nb.textContent;
    b.setAttribute('aria-label', nb.getAttribute('aria-label'));
  }

  // renderQueues draws the queues: in place when the same queues are
  // drawn in the same order (unchanged cells are left alone), else anew.
  function renderQueues() {
    const drawn = Array.from(rows.children);
    if (queues.length > 0 && drawn.length === queues.length &&
        queues.every((x, i) => drawn[i].dataset.queue === x.name)) {
      queues.forEach((x, i) => updateRow(drawn[i], x));
      return;
    }
    replace(rows, queues.length === 0
      ? h('tr', {}, h('td', { colspan: 8, class: 'empty' }, 'No queues.'))
      : queues.map(queueRow));
  }

  async function load(auto) {
    if (auto && (hasFocus(rows) || hasFocus(cards))) return false; // keep the link you are on
    let q, s;
    const seen = changes;
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
    const focused = rows.contains(document.activeElement) ? document.activeElement.id : '';
    if (seen === changes) {
      queues = q.queues;
      renderQueues();
    }
    if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
    const queued = queues.reduce((n, x) => n + x.size, 0);
    const paused = queues.filter((x) => x.paused).length;
    const summary = `${fmt(queued, 0)} tasks queued, ${fmt(s.dlq_size, 0)} dead letters, ${fmt(paused, 0)} queues paused`;
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
      status,
      h('table', { id: 'queues' },
        h('caption', {}, 'Entries per queue: pending are ready or scheduled (including retries waiting for their backoff); running are leased by a worker. A paused queue accepts tasks; workers start none of them until it is resumed.'),
        h('thead', {}, h('tr', {},
          h('th', { scope: 'col' }, 'Queue'),
          h('th', { scope: 'col' }, 'State'),
          h('th', { scope: 'col', class: 'num' }, 'Size'),
          h('th', { scope: 'col', class: 'num' }, 'Pending'),
          h('th', { scope: 'col', class: 'num' }, 'Ready'),
          h('th', { scope: 'col', class: 'num' }, 'Scheduled'),
          h('th', { scope: 'col', class: 'num' }, 'Running'),
          h('th', { scope: 'col' }, 'Action'))),
        rows)));
  run(false);
}
