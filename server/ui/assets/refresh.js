// Auto-refresh: a toolbar with an on/off switch (on by default), a
// "refresh now" button and the time of the last update. Updates are not
// announced here; views announce what changed.
import { h } from './dom.js';

/**
 * Runs load(auto) now and every ms while the switch is on; auto is true
 * for the timed runs. Returns {bar, run}.
 */
export function refresher(ctx, ms, load) {
  const box = h('input', { type: 'checkbox', id: 'auto-refresh', checked: true });
  const updated = h('span', { id: 'updated', class: 'help' });
  const now = h('button', { type: 'button', id: 'refresh-now' }, 'Refresh now');
  let busy = false;
  let stop = null;
  const run = async (auto) => {
    if (busy) return;
    busy = true;
    try {
      if ((await load(auto === true)) !== false) {
        updated.textContent = 'Updated ' + new Date().toLocaleTimeString();
      }
    } catch (err) {
      updated.textContent = 'Refresh failed: ' + err.message;
    } finally {
      busy = false;
    }
  };
  const start = () => { stop = ctx.every(ms, () => run(true)); };
  box.addEventListener('change', () => {
    if (box.checked) start();
    else if (stop) stop();
  });
  now.addEventListener('click', () => run(false));
  start();
  const bar = h('div', { class: 'toolbar' },
    h('label', { class: 'switch' }, box, ` Refresh every ${ms / 1000} s`),
    now, updated);
  return { bar, run };
}

/** Whether keyboard focus is inside el (a refresh would then be deferred). */
export function hasFocus(el) {
  return el.contains(document.activeElement) && document.activeElement !== document.body;
}
