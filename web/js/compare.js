// A fork side by side with its source, step by step: same, changed, or not run on one side.

import {api} from './api.js';
import {alertArea} from './alerts.js';
import {h, replace, runLink, stableJson, statusBadge} from './dom.js';

export function renderCompare(main, forkId, query) {
  const alerts = alertArea();
  let gone = false;
  const body = h('div', {}, h('p', {class: 'muted'}, 'Loading…'));
  main.append(h('h1', {}, 'Compare with source'), alerts.el, body);

  (async () => {
    try {
      const {run: fork} = await api.getRun(forkId);
      const sourceId = query.get('with') || fork.parent?.run_id;
      if (!sourceId) {
        replace(body, h('p', {}, runLink(fork.id, fork.title || fork.id), ' is not a fork: it has no source to compare with.'));
        return;
      }
      const {run: source} = await api.getRun(sourceId);
      if (gone) return;
      render(fork, source);
    } catch (e) {
      if (!gone) { replace(body); alerts.show(e, 'Loading the runs'); }
    }
  })();

  function verdict(a, b) {
    const ad = a && a.status === 'completed';
    const bd = b && b.status === 'completed';
    if (!ad && !bd) return ['none', 'not run'];
    if (ad && !bd) return ['only', 'only in source'];
    if (!ad && bd) return ['only', 'only in fork'];
    return stableJson(a.output) === stableJson(b.output) ? ['same', 'same'] : ['changed', 'changed'];
  }

  // Which top-level fields of two outputs differ, e.g. "differs in: words, chapters".
  function changedKeys(x, y) {
    if (!x || !y || typeof x !== 'object' || typeof y !== 'object' || Array.isArray(x) || Array.isArray(y)) return null;
    const keys = [...new Set([...Object.keys(x), ...Object.keys(y)])].filter((k) => stableJson(x[k]) !== stableJson(y[k]));
    return keys.length ? h('p', {class: 'muted small-text'}, `differs in: ${keys.join(', ')}`) : null;
  }

  function cell(s) {
    if (!s) return h('td', {class: 'muted'}, '—');
    const out = s.status === 'completed'
      ? h('details', {}, h('summary', {}, 'Output'), h('pre', {class: 'json', tabindex: '0'}, JSON.stringify(s.output, null, 2)))
      : null;
    return h('td', {}, statusBadge(s.status || 'pending'), out);
  }

  function render(fork, source) {
    const n = Math.max(fork.steps.length, source.steps.length);
    const rows = [];
    let same = 0; let changed = 0;
    for (let i = 0; i < n; i++) {
      const a = source.steps[i];
      const b = fork.steps[i];
      const [cls, text] = verdict(a, b);
      if (cls === 'same') same++;
      if (cls === 'changed') changed++;
      rows.push(h('tr', {class: `cmp-${cls}`, dataset: {index: String(i)}},
        h('th', {scope: 'row'}, `${i + 1}. ${(b || a).name}`),
        cell(a), cell(b),
        h('td', {}, h('span', {class: `verdict verdict-${cls}`}, text),
          cls === 'changed' ? changedKeys(a.output, b.output) : null)));
    }
    const at = fork.parent && fork.parent.run_id === source.id ? fork.parent.at : null;
    replace(body,
      h('p', {},
        'Fork ', runLink(fork.id, fork.title || fork.id), ' ', statusBadge(fork.status),
        at !== null ? ` was forked after step ${at} of ` : ' compared with ',
        runLink(source.id, source.title || source.id), ' ', statusBadge(source.status), '.'),
      h('p', {class: 'muted'}, `${same} step${same === 1 ? '' : 's'} the same, ${changed} changed.`),
      h('div', {class: 'table-wrap'}, h('table', {class: 'compare-table'},
        h('thead', {}, h('tr', {}, h('th', {scope: 'col'}, 'Step'), h('th', {scope: 'col'}, 'Source'),
          h('th', {scope: 'col'}, 'Fork'), h('th', {scope: 'col'}, 'Comparison'))),
        h('tbody', {}, rows))));
  }

  return () => { gone = true; };
}
