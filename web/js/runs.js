// Runs list: newest first, filters by status and kind, live over the global SSE stream.

import {api} from './api.js';
import {alertArea} from './alerts.js';
import {h, replace, runLink, statusBadge, timeEl} from './dom.js';
import {EVENT_TYPES, LiveStream} from './live.js';

export const STATUSES = ['queued', 'running', 'paused', 'completed', 'failed', 'canceled'];
const PAGE = 50;

export function renderRunsList(main, query) {
  const filters = {status: query.get('status') || '', kind: query.get('kind') || ''};
  const alerts = alertArea();
  const rows = new Map();  // run id -> {run, tr}
  let next = null;
  let stream = null;
  let gone = false;

  const statusSel = h('select', {id: 'filter-status', name: 'status'},
    h('option', {value: ''}, 'Any status'), STATUSES.map((s) => h('option', {value: s, selected: s === filters.status}, s)));
  const kindSel = h('select', {id: 'filter-kind', name: 'kind'}, h('option', {value: ''}, 'Any kind'));
  if (filters.kind) kindSel.append(h('option', {value: filters.kind, selected: true}, filters.kind));
  const applyFilters = () => {
    const q = new URLSearchParams();
    if (statusSel.value) q.set('status', statusSel.value);
    if (kindSel.value) q.set('kind', kindSel.value);
    const qs = q.toString();
    location.hash = `#/${qs ? `?${qs}` : ''}`;
  };
  statusSel.addEventListener('change', applyFilters);
  kindSel.addEventListener('change', applyFilters);

  const tbody = h('tbody');
  const table = h('table', {class: 'runs-table'},
    h('caption', {class: 'visually-hidden'}, 'Runs, newest first'),
    h('thead', {}, h('tr', {},
      h('th', {scope: 'col'}, 'Title'), h('th', {scope: 'col'}, 'Kind'), h('th', {scope: 'col'}, 'Status'),
      h('th', {scope: 'col'}, 'Progress'), h('th', {scope: 'col'}, 'Updated'), h('th', {scope: 'col'}, 'Forked from'))),
    tbody);
  const empty = h('div', {class: 'empty', hidden: true});
  const more = h('button', {type: 'button', hidden: true, onclick: () => load(false)}, 'Load more');
  const count = h('p', {class: 'muted', 'aria-live': 'polite'});

  main.append(
    h('div', {class: 'page-head'},
      h('h1', {}, 'Runs'),
      h('a', {class: 'button primary', href: '#/new'}, 'New run')),
    alerts.el,
    h('form', {class: 'filters', 'aria-label': 'Filter runs', onsubmit: (e) => e.preventDefault()},
      h('span', {class: 'filter'}, h('label', {for: 'filter-status'}, 'Status'), statusSel),
      h('span', {class: 'filter'}, h('label', {for: 'filter-kind'}, 'Kind'), kindSel)),
    h('div', {class: 'table-wrap'}, table),
    empty, count, more);

  const matches = (run) => (!filters.status || run.status === filters.status) && (!filters.kind || run.kind === filters.kind);

  function cells(run) {
    const pct = run.total_steps ? Math.round((100 * run.cursor) / run.total_steps) : 0;
    return [
      h('td', {class: 'cell-title'}, runLink(run.id, run.title || run.id), run.autorun ? h('span', {class: 'tag', title: 'Autorun is on'}, 'auto') : null),
      h('td', {'data-label': 'Kind'}, run.kind),
      h('td', {'data-label': 'Status'}, statusBadge(run.status)),
      h('td', {'data-label': 'Progress'},
        h('span', {class: 'progress-text'}, `${run.cursor}/${run.total_steps}`),
        h('progress', {max: run.total_steps || 1, value: run.cursor, 'aria-label': `${pct}% of steps done`})),
      h('td', {'data-label': 'Updated'}, timeEl(run.updated_at)),
      h('td', {'data-label': 'Forked from'}, run.parent
        ? h('span', {}, runLink(run.parent.run_id, rows.get(run.parent.run_id)?.run.title || run.parent.run_id),
          h('span', {class: 'muted'}, run.parent.at ? ` after step ${run.parent.at}` : ' from the start'))
        : h('span', {class: 'muted'}, '—')),
    ];
  }

  function upsert(run, {top = false} = {}) {
    let row = rows.get(run.id);
    if (!row) {
      const tr = h('tr', {dataset: {runId: run.id}});
      row = {run, tr};
      rows.set(run.id, row);
      if (top) tbody.prepend(tr); else tbody.append(tr);
    }
    row.run = run;
    replace(row.tr, cells(run));
    updateEmpty();
  }

  function updateEmpty() {
    const none = rows.size === 0;
    table.hidden = none;
    empty.hidden = !none;
    if (none) {
      replace(empty, filters.status || filters.kind
        ? h('p', {}, 'No runs match these filters. ', h('a', {href: '#/'}, 'Show all runs'), '.')
        : [h('p', {}, 'No runs yet. A run turns a novel into a screenplay one step at a time.'),
          h('a', {class: 'button primary', href: '#/new?sample=1'}, 'Try it with a sample novel')]);
    }
    count.textContent = none ? '' : `${rows.size} run${rows.size === 1 ? '' : 's'} shown`;
  }

  async function load(first) {
    try {
      const page = await api.listRuns({...filters, limit: PAGE, after: first ? undefined : next});
      if (gone) return;
      for (const r of page.runs || []) if (!rows.has(r.id)) upsert(r);
      // Forks listed before their source now get its title.
      for (const row of rows.values()) if (row.run.parent && rows.has(row.run.parent.run_id)) replace(row.tr, cells(row.run));
      next = page.next || null;
      more.hidden = !next;
      updateEmpty();
    } catch (e) { if (!gone) alerts.show(e, 'Loading runs'); }
  }

  async function fetchNew(id) {
    try {
      const {run} = await api.getRun(id);
      if (gone || rows.has(id) || !matches(run)) return;
      delete run.steps; delete run.input;
      upsert(run, {top: true});
    } catch (e) { if (!gone && e.code !== 'not_found') alerts.show(e, 'Loading a new run'); }
  }

  function onEvent(type, ev) {
    const row = rows.get(ev.run_id);
    if (!row) {
      if (type === 'run.created' || type === 'run.forked') fetchNew(ev.run_id);
      return;
    }
    if (!ev.run || (row.run.version && ev.run.version <= row.run.version)) return;
    upsert({...row.run, ...ev.run, updated_at: ev.at || row.run.updated_at});
  }

  (async () => {
    // Workflows for the kind filter (a failure here is shown but does not stop the list).
    api.workflows().then(({workflows}) => {
      if (gone) return;
      for (const w of workflows || []) {
        if (w.kind !== filters.kind) kindSel.append(h('option', {value: w.kind}, w.kind));
      }
    }).catch((e) => { if (!gone) alerts.show(e, 'Loading workflow kinds'); });
    // The global position first, then the list, then live events after that position:
    // nothing is missed, and anything seen twice is dropped by its run version.
    let position = 0;
    try { position = (await api.health()).events || 0; } catch { /* start from 0: slower, still right */ }
    await load(true);
    if (gone) return;
    const params = {types: EVENT_TYPES.filter((t) => t !== 'step.progress').join(',')};
    if (filters.kind) params.kind = filters.kind;
    stream = new LiveStream({path: '/v1/events', params, global: true, after: position, onEvent}).start();
  })();

  return () => { gone = true; if (stream) stream.close(); };
}
