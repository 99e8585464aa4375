// The fork tree of a run (GET /v1/runs/{id}/lineage): root at the top, each fork under
// the run it was forked from, each node a link; the current run is marked.

import {h, statusBadge} from './dom.js';

export function renderLineage(lin, currentId) {
  const runs = lin.runs || [];
  const children = new Map();
  const byId = new Map();
  for (const r of runs) {
    byId.set(r.run_id, r);
    const p = r.parent_run_id || '';
    if (!children.has(p)) children.set(p, []);
    children.get(p).push(r);
  }
  if (runs.length <= 1) {
    return h('p', {class: 'muted'}, 'No forks yet. Use “Fork from here” on a completed step to branch this run.');
  }
  const node = (r) => {
    const here = r.run_id === currentId;
    const kids = children.get(r.run_id) || [];
    const label = r.title || r.run_id;
    return h('li', {},
      h('div', {class: `lineage-node${here ? ' current' : ''}`},
        here
          ? h('span', {'aria-current': 'page'}, h('strong', {}, label), h('span', {class: 'muted'}, ' (this run)'))
          : h('a', {href: `#/runs/${encodeURIComponent(r.run_id)}`}, label),
        ' ', statusBadge(r.status),
        r.parent_run_id !== null && r.parent_run_id !== undefined
          ? [h('span', {class: 'muted'}, r.at ? ` after step ${r.at}` : ' from the start'), ' ',
            h('a', {class: 'small-link', href: `#/runs/${encodeURIComponent(r.run_id)}/compare`,
              'aria-label': `Compare ${label} with its source`}, 'compare')]
          : null),
      kids.length ? h('ul', {}, kids.map(node)) : null);
  };
  const root = byId.get(lin.root) || runs[0];
  return h('ul', {class: 'lineage-tree', 'aria-label': 'Fork tree'}, node(root));
}
