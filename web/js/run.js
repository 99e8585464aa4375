// Run page: state, controls, the step timeline with outputs and forks, the screenplay,
// and the lineage. Kept current by the run's SSE stream (DESIGN §5): each message
// carries the event and the run's state right after it.

import {api} from './api.js';
import {alertArea} from './alerts.js';
import {duration, h, replace, runLink, statusBadge, timeEl} from './dom.js';
import {renderFountain} from './fountain.js';
import {renderLineage} from './lineage.js';
import {LiveStream} from './live.js';

const TERMINAL = new Set(['completed', 'canceled']);
const PROGRESS_KEEP = 4000;  // characters of live step.progress text kept per step

export function renderRun(main, runId) {
  const alerts = alertArea();
  let run = null;          // the run JSON (DESIGN §4), kept current
  let stream = null;
  let gone = false;
  const pending = new Set();  // control buttons with a request in flight
  const stepViews = [];       // per step index: {li, sig, forkOpen}
  const progress = new Map(); // step index -> {text, fraction}
  let parentTitle = '';       // from the lineage, for the "forked from" link

  // ----- skeleton -----
  const titleEl = h('h1', {class: 'run-title'}, 'Run');
  const headBadge = h('span', {class: 'head-badge'});
  const meta = h('p', {class: 'run-meta'});
  const summary = h('dl', {class: 'run-summary', 'aria-label': 'Run state'});
  const controls = h('div', {class: 'controls', role: 'toolbar', 'aria-label': 'Run controls'});
  const announcer = h('p', {class: 'visually-hidden', 'aria-live': 'polite'});
  const jump = h('p', {class: 'screenplay-jump', hidden: true},
    h('button', {type: 'button', class: 'link', onclick: () => {
      screenplay.scrollIntoView({behavior: 'smooth', block: 'start'});
      screenplay.querySelector('h2')?.focus({preventScroll: true});
    }}, 'Read the screenplay ↓'));
  const timeline = h('ol', {class: 'timeline', 'aria-label': 'Steps'});
  const screenplay = h('section', {class: 'screenplay-section', 'aria-labelledby': 'screenplay-h', hidden: true});
  const lineage = h('section', {class: 'lineage', 'aria-labelledby': 'lineage-h'});
  const lineageBody = h('div', {class: 'lineage-body'}, h('p', {class: 'muted'}, 'Loading…'));
  lineage.append(
    h('div', {class: 'section-head'}, h('h2', {id: 'lineage-h'}, 'Lineage'),
      h('button', {type: 'button', class: 'small', onclick: () => loadLineage()}, 'Refresh')),
    lineageBody);

  const btn = {};
  const mk = (key, label, onclick, extra = {}) => {
    btn[key] = h('button', {type: 'button', ...extra, onclick}, label);
    return btn[key];
  };
  controls.append(
    mk('next', 'Next step', () => act('next', 'Next step', () => api.action(runId, 'next', {})), {class: 'primary'}),
    mk('auto', [h('span', {}, 'Auto'), ' ', h('span', {class: 'toggle-state'}, 'off')],
      () => act('auto', 'Auto', () => api.autorun(runId, !run.autorun)), {class: 'toggle', 'aria-pressed': 'false'}),
    mk('pause', 'Pause', () => act('pause', 'Pause', () => api.action(runId, 'pause', {}))),
    mk('resume', 'Resume', () => act('resume', 'Resume', () => api.action(runId, 'resume', {}))),
    mk('cancel', 'Cancel', () => {
      if (confirm('Cancel this run? Canceling is final (the run can still be forked).')) {
        act('cancel', 'Cancel', () => api.action(runId, 'cancel', {}));
      }
    }, {class: 'danger'}),
    mk('retry', 'Retry', () => act('retry', 'Retry', () => api.action(runId, 'retry', {}))));

  main.append(
    h('div', {class: 'page-head'}, h('div', {class: 'title-wrap'}, titleEl, headBadge)),
    meta, alerts.el,
    h('div', {class: 'run-layout'},
      h('div', {class: 'run-main'},
        h('section', {class: 'state-panel', 'aria-label': 'State and controls'}, summary, controls, jump, announcer),
        h('section', {class: 'steps-section', 'aria-labelledby': 'steps-h'}, h('h2', {id: 'steps-h'}, 'Steps'), timeline),
        screenplay),
      h('aside', {class: 'run-side'}, lineage)));

  // ----- commands -----
  async function act(key, label, call) {
    if (!run || pending.has(key)) return;
    alerts.clear();
    pending.add(key);
    renderControls();
    try {
      const result = await call();
      if (result && result.run) adoptRun(result.run);
    } catch (e) {
      if (!gone) alerts.show(e, label);
    } finally {
      pending.delete(key);
      if (!gone) renderControls();
    }
  }

  // A whole run from a command reply or a reload: taken when it is newer than ours.
  function adoptRun(r) {
    if (!r || r.id !== runId) return;
    if (run && r.version < run.version) return;
    const wasTerminal = run && TERMINAL.has(run.status);
    run = {...r, steps: r.steps ? r.steps.map((s) => ({...s})) : run?.steps || []};
    render();
    if (!wasTerminal && TERMINAL.has(run.status)) announce(`Run ${run.status}.`);
  }

  // ----- events -----
  function onEvent(type, ev) {
    if (!run) return;
    if (type === 'step.progress') {
      const d = ev.data || ev;
      const idx = d.index;
      const p = progress.get(idx) || {text: '', fraction: null};
      if (typeof d.delta === 'string') p.text += d.delta;
      if (typeof d.message === 'string') p.text += (p.text && !p.text.endsWith('\n') ? '\n' : '') + d.message;
      if (p.text.length > PROGRESS_KEEP) p.text = p.text.slice(-PROGRESS_KEEP);
      if (typeof d.fraction === 'number') p.fraction = d.fraction;
      progress.set(idx, p);
      renderProgress(idx);
      return;
    }
    if (typeof ev.version === 'number' && ev.version <= run.version) return;
    const d = ev.data || {};
    const steps = run.steps;
    const at = ev.at;
    const step = typeof d.index === 'number' ? (steps[d.index] ||= {index: d.index, name: d.name}) : null;
    switch (type) {
      case 'step.started':
        Object.assign(step, {status: 'running', name: d.name, attempt: d.attempt, executor: d.executor,
          started_at: at, ended_at: undefined, duration_ms: undefined, output: undefined, error: undefined});
        progress.delete(d.index);
        break;
      case 'step.completed':
        Object.assign(step, {status: 'completed', attempt: d.attempt, output: d.output,
          duration_ms: d.duration_ms, ended_at: at, error: undefined});
        announce(`Step ${d.index + 1}, ${d.name}, completed.`);
        break;
      case 'step.failed':
        Object.assign(step, {status: 'failed', attempt: d.attempt, error: d.error, ended_at: at,
          duration_ms: step.started_at ? Date.parse(at) - Date.parse(step.started_at) : step.duration_ms});
        announce(`Step ${d.index + 1}, ${d.name}, failed: ${d.error?.message || ''}`);
        break;
      case 'step.aborted':
        Object.assign(step, {status: 'aborted', attempt: d.attempt, ended_at: at,
          error: {code: 'aborted', message: d.reason || 'aborted'}});
        break;
      default: break;
    }
    const wasTerminal = TERMINAL.has(run.status);
    if (ev.run) Object.assign(run, ev.run);
    if (typeof ev.version === 'number') run.version = Math.max(run.version, ev.version);
    if (at) run.updated_at = at;
    render();
    if (!wasTerminal && TERMINAL.has(run.status)) announce(`Run ${run.status}.`);
  }

  function announce(text) { announcer.textContent = text; }

  // ----- rendering -----
  function render() {
    document.title = `${run.title || run.id} · Forkline`;
    titleEl.textContent = run.title || run.id;
    replace(headBadge, statusBadge(run.status));
    replace(meta,
      h('span', {}, run.kind), ' · ', h('code', {class: 'run-id'}, run.id),
      ' · created ', timeEl(run.created_at), ' · updated ', timeEl(run.updated_at),
      run.parent ? [' · forked from ', runLink(run.parent.run_id, parentTitle || run.parent.run_id),
        run.parent.at ? ` after step ${run.parent.at}` : ' at the start', ' · ',
        h('a', {href: `#/runs/${encodeURIComponent(run.id)}/compare`}, 'Compare with source')] : null);
    const pct = run.total_steps ? Math.round((100 * run.cursor) / run.total_steps) : 0;
    replace(summary,
      h('div', {}, h('dt', {}, 'Status'), h('dd', {'data-field': 'status'}, statusBadge(run.status))),
      h('div', {}, h('dt', {}, 'Cursor'), h('dd', {'data-field': 'cursor'},
        h('span', {class: 'cursor-text'}, `${run.cursor} / ${run.total_steps}`),
        h('progress', {max: run.total_steps || 1, value: run.cursor, 'aria-label': `${pct}% of steps done`}))),
      h('div', {}, h('dt', {}, 'Auto mode'), h('dd', {'data-field': 'autorun'}, run.autorun ? 'on' : 'off')),
      h('div', {}, h('dt', {}, 'Version'), h('dd', {'data-field': 'version'}, String(run.version))));
    renderControls();
    renderSteps();
    renderScreenplay();
  }

  function renderControls() {
    if (!run) {
      for (const b of Object.values(btn)) b.disabled = true;
      return;
    }
    const s = run.status;
    const inFlight = run.steps.some((st) => st.status === 'running');
    const active = s === 'queued' || s === 'running';
    const terminal = TERMINAL.has(s);
    const why = {
      next: !active ? `Not while the run is ${s}` : run.autorun ? 'Auto mode is on'
        : inFlight ? 'A step is running' : run.cursor >= run.total_steps ? 'No steps left' : '',
      auto: run.autorun ? (terminal ? `The run is ${s}` : '') : (active ? '' : `Not while the run is ${s}`),
      pause: active ? '' : `Not while the run is ${s}`,
      resume: s === 'paused' ? '' : 'Only a paused run can be resumed',
      cancel: terminal ? `The run is ${s}` : '',
      retry: s === 'failed' ? '' : 'Only a failed run can be retried',
    };
    for (const [key, b] of Object.entries(btn)) {
      const busy = pending.has(key);
      b.disabled = busy || Boolean(why[key]);
      b.title = why[key] || '';
      if (busy) b.setAttribute('aria-busy', 'true'); else b.removeAttribute('aria-busy');
    }
    btn.auto.setAttribute('aria-pressed', String(Boolean(run.autorun)));
    btn.auto.querySelector('.toggle-state').textContent = run.autorun ? 'on' : 'off';
    btn.next.textContent = pending.has('next') ? 'Running step…' : 'Next step';
  }

  function stepSig(s) {
    return JSON.stringify([s.status, s.attempt, s.duration_ms, s.error, s.output === undefined, s.name]);
  }

  function renderSteps() {
    run.steps.forEach((s, i) => {
      let v = stepViews[i];
      if (!v) {
        v = stepViews[i] = {li: h('li', {class: 'step'}), sig: '', forkOpen: false};
        timeline.append(v.li);
      }
      const sig = stepSig(s);
      if (sig !== v.sig) {
        v.sig = sig;
        renderStep(v, s, i);
      }
    });
  }

  function renderStep(v, s, i) {
    const li = v.li;
    li.className = `step step-${s.status || 'pending'}`;
    li.dataset.index = String(i);
    li.dataset.status = s.status || 'pending';
    const bits = [];
    if (s.attempt > 1) bits.push(`attempt ${s.attempt}`);
    if (s.duration_ms !== undefined && s.duration_ms !== null && s.status !== 'running') bits.push(duration(s.duration_ms));
    if (s.executor) bits.push(s.executor);
    const parts = [
      h('div', {class: 'step-head'},
        h('span', {class: 'step-num', 'aria-hidden': 'true'}, String(i + 1)),
        h('h3', {class: 'step-name'}, h('span', {class: 'visually-hidden'}, `Step ${i + 1}: `), s.name),
        statusBadge(s.status || 'pending'),
        h('span', {class: 'step-meta'}, bits.join(' · '))),
    ];
    if (s.error && (s.status === 'failed' || s.status === 'aborted')) {
      parts.push(h('p', {class: 'step-error'}, h('code', {}, s.error.code || 'error'), ' ', s.error.message || ''));
    }
    if (s.status === 'running') {
      parts.push(h('div', {class: 'step-progress', 'aria-live': 'polite'},
        h('progress', {'aria-label': `Progress of ${s.name}`}),
        h('pre', {class: 'progress-text'})));
    }
    if (s.status === 'completed') {
      const det = h('details', {class: 'output'});
      const body = h('div', {class: 'output-body'});
      det.append(h('summary', {}, 'Output'), body);
      det.addEventListener('toggle', () => { if (det.open && !body.firstChild) fillOutput(body, s, i); });
      const forkBtn = h('button', {type: 'button', class: 'small', 'aria-expanded': String(v.forkOpen),
        onclick: () => { v.forkOpen = !v.forkOpen; v.sig = ''; renderSteps(); }}, 'Fork from here');
      parts.push(h('div', {class: 'step-actions'}, det, forkBtn));
      if (v.forkOpen) parts.push(forkForm(v, s, i));
    }
    replace(li, parts);
    if (s.status === 'running') renderProgress(i);
  }

  function renderProgress(i) {
    const v = stepViews[i];
    const p = progress.get(i);
    if (!v || !p) return;
    const pre = v.li.querySelector('.progress-text');
    const bar = v.li.querySelector('.step-progress progress');
    if (pre) { pre.textContent = p.text; pre.scrollTop = pre.scrollHeight; }
    if (bar && typeof p.fraction === 'number') { bar.max = 1; bar.value = p.fraction; }
  }

  async function outputOf(s, i) {
    if (s.output !== undefined && !s.output_truncated) return s.output;
    return api.stepOutput(runId, i);
  }

  async function fillOutput(body, s, i) {
    body.append(h('p', {class: 'muted'}, 'Loading…'));
    try {
      const out = await outputOf(s, i);
      replace(body, h('pre', {class: 'json', tabindex: '0'}, JSON.stringify(out, null, 2)));
    } catch (e) {
      replace(body);
      alerts.show(e, `Output of step ${i + 1}`);
    }
  }

  function forkForm(v, s, i) {
    const ids = {title: `fork-title-${i}`, edit: `fork-edit-${i}`, json: `fork-json-${i}`};
    const title = h('input', {id: ids.title, type: 'text', value: `${run.title || run.id} (fork after ${s.name})`});
    const edit = h('input', {id: ids.edit, type: 'checkbox'});
    const area = h('textarea', {id: ids.json, rows: 12, spellcheck: 'false', hidden: true, 'aria-label': `Output of ${s.name}, as JSON`});
    const formErr = h('p', {class: 'form-error', role: 'alert'});
    const submit = h('button', {type: 'submit', class: 'primary'}, 'Create fork');
    edit.addEventListener('change', async () => {
      area.hidden = !edit.checked;
      if (edit.checked && !area.value) {
        area.value = 'Loading…';
        try { area.value = JSON.stringify(await outputOf(s, i), null, 2); } catch (e) { area.value = ''; formErr.textContent = e.message; }
      }
      if (edit.checked) area.focus();
    });
    const form = h('form', {class: 'fork-form', 'aria-label': `Fork after step ${i + 1}`, onsubmit: async (e) => {
      e.preventDefault();
      formErr.textContent = '';
      const body = {at: i + 1};
      if (title.value.trim()) body.title = title.value.trim();
      if (edit.checked) {
        try { body.override = {output: JSON.parse(area.value)}; } catch (err) {
          formErr.textContent = `The edited output is not valid JSON: ${err.message}`;
          area.focus();
          return;
        }
      }
      submit.disabled = true;
      try {
        const {run: fork} = await api.fork(runId, body);
        location.hash = `#/runs/${encodeURIComponent(fork.id)}`;
      } catch (err) {
        formErr.textContent = `${err.code || 'error'}: ${err.message}`;
        submit.disabled = false;
      }
    }},
    h('p', {class: 'help'}, `A new run with this run's history up to the end of step ${i + 1} (${s.name}); this run is not changed.`),
    h('div', {class: 'field'}, h('label', {for: ids.title}, 'Title of the fork'), title),
    h('div', {class: 'field check'}, edit, h('label', {for: ids.edit}, "Edit this step's output before forking")),
    area, formErr,
    h('div', {class: 'actions'}, submit,
      h('button', {type: 'button', onclick: () => { v.forkOpen = false; v.sig = ''; renderSteps(); }}, 'Close')));
    return form;
  }

  let shownScreenplay = null;
  let fountainUrl = null;
  function renderScreenplay() {
    let idx = -1;
    run.steps.forEach((s, i) => {
      if (s.status === 'completed' && s.output && typeof s.output.fountain === 'string') idx = i;
    });
    jump.hidden = idx < 0;
    if (idx < 0) { screenplay.hidden = true; shownScreenplay = null; screenplay.replaceChildren(); return; }
    const out = run.steps[idx].output;
    if (shownScreenplay === out) return;
    shownScreenplay = out;
    const stats = out.stats || {};
    if (fountainUrl) URL.revokeObjectURL(fountainUrl);
    const url = fountainUrl = URL.createObjectURL(new Blob([out.fountain], {type: 'text/plain;charset=utf-8'}));
    const file = `${(run.title || run.id).replace(/[^\w.-]+/g, '_').replace(/^_+|_+$/g, '') || 'screenplay'}.fountain`;
    const lines = Object.entries(stats.dialogue_lines || {}).sort((a, b) => b[1] - a[1]);
    replace(screenplay,
      h('div', {class: 'section-head'}, h('h2', {id: 'screenplay-h', tabindex: '-1'}, 'Screenplay'),
        h('a', {class: 'button', href: url, download: file}, 'Download .fountain')),
      h('ul', {class: 'stats'},
        stats.scenes !== undefined ? h('li', {}, h('strong', {}, String(stats.scenes)), ' scenes') : null,
        stats.characters !== undefined ? h('li', {}, h('strong', {}, String(stats.characters)), ' characters') : null,
        stats.pages !== undefined ? h('li', {}, h('strong', {}, String(stats.pages)), ' pages (est.)') : null),
      lines.length ? h('details', {class: 'dialogue-stats'}, h('summary', {}, 'Lines of dialogue per character'),
        h('table', {}, h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Character'), h('th', {scope: 'col'}, 'Lines'))),
          h('tbody', {}, lines.map(([n, c]) => h('tr', {}, h('td', {}, n), h('td', {}, String(c))))))) : null,
      h('div', {class: 'paper-wrap'}, renderFountain(out.fountain)));
    screenplay.hidden = false;
  }

  async function loadLineage() {
    try {
      const lin = await api.lineage(runId);
      if (gone) return;
      replace(lineageBody, renderLineage(lin, runId));
      const parent = run && run.parent && (lin.runs || []).find((r) => r.run_id === run.parent.run_id);
      if (parent && parent.title && parent.title !== parentTitle) { parentTitle = parent.title; render(); }
    } catch (e) {
      if (!gone) { replace(lineageBody); alerts.show(e, 'Lineage'); }
    }
  }

  // ----- start: the run, then its stream from that version on -----
  async function load() {
    renderControls();
    try {
      const {run: r} = await api.getRun(runId);
      if (gone) return;
      adoptRun(r);
      stream = new LiveStream({
        path: `/v1/runs/${encodeURIComponent(runId)}/events`,
        after: r.version,
        onEvent,
        onReconnected: () => loadLineage(),
      }).start();
    } catch (e) {
      if (gone) return;
      titleEl.textContent = e.code === 'not_found' ? 'Run not found' : 'Run';
      alerts.show(e, 'Loading the run');
    }
    loadLineage();
  }
  load();

  return () => {
    gone = true;
    if (stream) stream.close();
    if (fountainUrl) URL.revokeObjectURL(fountainUrl);
  };
}
