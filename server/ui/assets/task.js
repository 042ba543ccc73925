// One task: its fields, timeline, error, result and metadata, with the
// actions the role allows (cancel; retry and delete of a dead letter for
// admins). Refreshed every 2 s.
import * as api from './api.js';
import { h, replace, announce, statusBadge, timeEl, priorityName, confirmButton } from './dom.js';
import { refresher, hasFocus } from './refresh.js';

const cancellable = new Set(['pending', 'running', 'failed']);

function json(v) {
  return h('pre', { class: 'mono', tabindex: 0 }, JSON.stringify(v, null, 2));
}

function fields(t) {
  const rows = [
    ['Type', t.type], ['Status', statusBadge(t.status)], ['Queue', t.queue], ['Priority', priorityName(t.priority)],
    ['Owner', t.owner ? h('span', { class: 'mono' }, t.owner) : null], ['Description', t.description || null],
    ['Attempts', t.attempts], ['Retries', `${t.retry_count} of ${t.max_retries}`], ['DLQ retries', t.dlq_retry_count],
    ['Timeout', t.timeout_ms ? `${t.timeout_ms} ms per attempt` : null], ['Deadline', t.deadline ? timeEl(t.deadline) : null],
    ['Idempotency key', t.idempotency_key ? h('span', { class: 'mono' }, t.idempotency_key) : null],
  ];
  return h('dl', { class: 'fields', id: 'task-fields' },
    rows.filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)]));
}

function finishLabel(status) {
  return { completed: 'Completed', cancelled: 'Cancelled', dead_letter: 'Failed for good' }[status] || 'Last attempt ended';
}

function timeline(t) {
  const events = [['Created', t.created]];
  if (t.run_at && t.run_at !== t.created) events.push([t.status === 'pending' ? 'Runs at' : 'Scheduled to run', t.run_at]);
  if (t.started_at) events.push(['Started (latest attempt)', t.started_at]);
  if (t.completed_at) events.push([finishLabel(t.status), t.completed_at]);
  if (t.dead_lettered_at) events.push(['Dead-lettered', t.dead_lettered_at]);
  events.push(['Last updated', t.updated]);
  events.sort((a, b) => new Date(a[1]) - new Date(b[1]));
  return h('ol', { class: 'timeline', id: 'task-timeline' },
    events.map(([label, when]) => h('li', {}, h('span', {}, label), h('span', { class: 'when' }, timeEl(when)))));
}

export function taskView(ctx, id) {
  const admin = api.isAdmin();
  const heading = h('h1', {}, 'Task ', h('span', { class: 'mono' }, id));
  const message = h('p', { class: 'notice', id: 'task-message', role: 'status' });
  const error = h('p', { class: 'error', role: 'alert' });
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' });
  const body = h('div', { id: 'task-body' });
  let actionsKey = null;
  let lastStatus = null;
  let gone = false;

  async function act(label, f) {
    try {
      const t = await f();
      message.textContent = label;
      if (t) show(t);
      else await run(false);
    } catch (err) {
      error.textContent = `${label.replace(/\.$/, '')} failed: ${err.message}`;
    }
  }

  function setActions(t) {
    const key = [cancellable.has(t.status), admin && t.status === 'dead_letter'].join();
    if (key === actionsKey) return; // keep the buttons (and the focus) as they are
    actionsKey = key;
    const list = [];
    if (cancellable.has(t.status)) {
      list.push(h('button', {
        type: 'button', id: 'cancel-task', class: 'danger',
        onclick: () => act('Task cancelled.', () => api.call('DELETE', '/api/tasks/' + encodeURIComponent(id))),
      }, 'Cancel task'));
    }
    if (admin && t.status === 'dead_letter') {
      list.push(h('button', {
        type: 'button', id: 'retry-task', class: 'primary',
        onclick: () => act('Task sent back to the queue.', () => api.call('POST', `/api/dlq/${encodeURIComponent(id)}/retry`)),
      }, 'Retry'));
      list.push(confirmButton('Delete', 'Confirm delete', async () => {
        try {
          await api.call('DELETE', '/api/dlq/' + encodeURIComponent(id));
          announce(`Task ${id} deleted.`);
          ctx.go('#/dlq');
        } catch (err) {
          error.textContent = 'Delete failed: ' + err.message;
        }
      }, { id: 'delete-task' }));
    }
    const hadFocus = hasFocus(actions);
    replace(actions, list.length ? list : h('span', { class: 'help' }, 'No actions for a ' + t.status.replace('_', ' ') + ' task.'));
    if (hadFocus) (actions.querySelector('button') || heading).focus(); // never drop focus to the page
  }

  function show(t) {
    if (lastStatus !== null && lastStatus !== t.status) announce(`Task status changed to ${t.status.replace('_', ' ')}.`);
    lastStatus = t.status;
    setActions(t);
    const errorPart = t.error
      ? h('section', { 'aria-labelledby': 'err-title' }, h('h2', { id: 'err-title' }, 'Error'),
        h('dl', { class: 'fields', id: 'task-error' },
          h('dt', {}, 'Code'), h('dd', { class: 'mono' }, t.error.code),
          h('dt', {}, 'Message'), h('dd', {}, t.error.message),
          h('dt', {}, 'Retryable'), h('dd', {}, t.error.retryable ? 'yes' : 'no')))
      : null;
    replace(body,
      h('div', { class: 'columns' },
        h('section', { 'aria-labelledby': 'fields-title' }, h('h2', { id: 'fields-title' }, 'Details'), fields(t)),
        h('section', { 'aria-labelledby': 'timeline-title' }, h('h2', { id: 'timeline-title' }, 'Timeline'), timeline(t))),
      errorPart,
      h('section', { 'aria-labelledby': 'result-title' }, h('h2', { id: 'result-title' }, 'Result'),
        t.result !== undefined && t.result !== null ? json(t.result) : h('p', { class: 'empty' }, 'No result.')),
      h('section', { 'aria-labelledby': 'meta-title' }, h('h2', { id: 'meta-title' }, 'Metadata'),
        t.metadata ? json(t.metadata) : h('p', { class: 'empty' }, 'No metadata.')));
  }

  async function load(auto) {
    if (gone || (auto && hasFocus(body))) return false; // keep what you are reading
    let t;
    try {
      t = await api.call('GET', '/api/tasks/' + encodeURIComponent(id));
      error.textContent = '';
    } catch (err) {
      if (err.status === 404) {
        gone = true;
        replace(actions);
        replace(body, h('p', { class: 'empty' }, 'No such task (or not yours).'));
        return false;
      }
      error.textContent = 'Could not load the task: ' + err.message;
      throw err;
    }
    show(t);
    return true;
  }

  const { bar, run } = refresher(ctx, 2000, load);
  replace(ctx.main,
    h('p', {}, h('a', { href: '#/tasks' }, '\u2190 All tasks')),
    heading, bar, message, error, actions, body);
  run(false);
}
