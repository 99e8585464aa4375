// Forkline web UI: hash routes, the page shell and the connection indicator.
//   #/            runs list (filters in the query: #/?status=running&kind=…)
//   #/new         new run (#/new?sample=1 starts with the sample novel)
//   #/runs/{id}   run page
//   #/runs/{id}/compare   a fork side by side with its source

import {onConnectionChange} from './live.js';
import {renderRunsList} from './runs.js';
import {renderNewRun} from './new_run.js';
import {renderRun} from './run.js';
import {renderCompare} from './compare.js';

const main = document.getElementById('main');
let cleanup = null;

function parseHash() {
  const hash = location.hash || '#/';
  if (!hash.startsWith('#/')) return null;
  const [path, query = ''] = hash.slice(1).split('?');
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  return {parts, query: new URLSearchParams(query)};
}

function route() {
  const r = parseHash();
  if (!r) return;  // an in-page anchor such as #main
  if (cleanup) { try { cleanup(); } catch (e) { console.error(e); } }
  cleanup = null;
  main.replaceChildren();
  main.removeAttribute('aria-busy');
  const {parts, query} = r;
  let view;
  let nav = '';
  if (parts.length === 0) { view = () => renderRunsList(main, query); nav = 'runs'; }
  else if (parts[0] === 'new' && parts.length === 1) { view = () => renderNewRun(main, query); nav = 'new'; }
  else if (parts[0] === 'runs' && parts.length === 2) view = () => renderRun(main, parts[1]);
  else if (parts[0] === 'runs' && parts.length === 3 && parts[2] === 'compare') view = () => renderCompare(main, parts[1], query);
  else {
    main.append(Object.assign(document.createElement('h1'), {textContent: 'Not found'}));
    const p = document.createElement('p');
    p.innerHTML = 'No page here. <a href="#/">Back to the runs</a>.';
    main.append(p);
    return;
  }
  for (const a of document.querySelectorAll('[data-nav]')) {
    if (a.dataset.nav === nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  cleanup = view() || null;
}

const conn = document.getElementById('connection');
const banner = document.getElementById('conn-banner');
const LABELS = {idle: '', connecting: 'Connecting…', live: 'Live', reconnecting: 'Reconnecting…'};
onConnectionChange((state) => {
  conn.textContent = LABELS[state] ?? state;
  conn.dataset.state = state;
  banner.hidden = state !== 'reconnecting';
  conn.title = state === 'reconnecting'
    ? 'The connection to the daemon dropped; trying again. Nothing is lost: the page catches up when it is back.'
    : state === 'live' ? 'Receiving live updates from the daemon' : '';
});

document.querySelector('[data-skip]').addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});

window.addEventListener('hashchange', route);
route();
