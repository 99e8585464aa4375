// New run: a kind, a text (pasted, from a .txt file, or the sample novel), a title,
// optionally straight into auto mode.

import {api} from './api.js';
import {alertArea} from './alerts.js';
import {h, replace} from './dom.js';

const SAMPLE = {url: 'sample/alice.txt', title: "Alice's Adventures in Wonderland", author: 'Lewis Carroll'};
const DEFAULT_KIND = 'novel_to_script';

export function renderNewRun(main, query) {
  const alerts = alertArea();
  let gone = false;

  const kindSel = h('select', {id: 'run-kind', name: 'kind', required: true, 'aria-describedby': 'kind-help'});
  const kindHelp = h('p', {id: 'kind-help', class: 'help'});
  const title = h('input', {id: 'run-title', name: 'title', type: 'text', autocomplete: 'off'});
  const author = h('input', {id: 'run-author', name: 'author', type: 'text', autocomplete: 'off'});
  const text = h('textarea', {id: 'run-text', name: 'text', rows: 14, required: true, spellcheck: 'false',
    'aria-describedby': 'text-help', placeholder: 'Paste a novel here, choose a .txt file, or use the sample novel.'});
  const textHelp = h('p', {id: 'text-help', class: 'help'}, 'Plain text. Chapters are found by headings such as “CHAPTER I.” or “Chapter 12”.');
  const file = h('input', {id: 'run-file', type: 'file', accept: '.txt,text/plain'});
  const auto = h('input', {id: 'run-auto', name: 'autorun', type: 'checkbox'});
  const submit = h('button', {type: 'submit', class: 'primary'}, 'Create run');
  const sampleBtn = h('button', {type: 'button', onclick: () => loadSample()}, 'Use the sample novel');
  const workflows = new Map();

  const updateCount = () => {
    const words = text.value.trim() ? text.value.trim().split(/\s+/).length : 0;
    textHelp.textContent = words
      ? `${words.toLocaleString()} words, ${text.value.length.toLocaleString()} characters.`
      : 'Plain text. Chapters are found by headings such as “CHAPTER I.” or “Chapter 12”.';
  };
  text.addEventListener('input', updateCount);

  async function loadSample() {
    alerts.clear();
    sampleBtn.disabled = true;
    try {
      const res = await fetch(SAMPLE.url);
      if (!res.ok) throw Object.assign(new Error(`${SAMPLE.url}: HTTP ${res.status}`), {code: 'not_found'});
      text.value = await res.text();
      title.value = SAMPLE.title;
      author.value = SAMPLE.author;
      updateCount();
    } catch (e) {
      alerts.show(e, 'Loading the sample novel');
    } finally {
      sampleBtn.disabled = false;
    }
  }

  file.addEventListener('change', async () => {
    const f = file.files && file.files[0];
    if (!f) return;
    try {
      text.value = await f.text();
      if (!title.value) title.value = f.name.replace(/\.[^.]+$/, '').replace(/[_-]+/g, ' ');
      updateCount();
    } catch (e) { alerts.show(e, `Reading ${f.name}`); }
  });

  kindSel.addEventListener('change', () => describeKind());
  function describeKind() {
    const w = workflows.get(kindSel.value);
    replace(kindHelp, w ? [w.description || '', w.steps?.length
      ? h('span', {class: 'steps-inline'}, ` Steps: ${w.steps.map((s) => s.name).join(' → ')}.`) : ''] : '');
  }

  const form = h('form', {class: 'new-run', onsubmit: async (e) => {
    e.preventDefault();
    alerts.clear();
    if (!text.value.trim()) { alerts.show({code: 'bad_request', message: 'the text is empty'}, 'Create run'); text.focus(); return; }
    const input = {text: text.value};
    if (title.value.trim()) input.title = title.value.trim();
    if (author.value.trim()) input.author = author.value.trim();
    const body = {kind: kindSel.value, input, autorun: auto.checked};
    if (title.value.trim()) body.title = title.value.trim();
    submit.disabled = true;
    submit.textContent = 'Creating…';
    try {
      const {run} = await api.createRun(body);
      location.hash = `#/runs/${encodeURIComponent(run.id)}`;
    } catch (err) {
      alerts.show(err, 'Create run');
    } finally {
      submit.disabled = false;
      submit.textContent = 'Create run';
    }
  }},
  h('div', {class: 'field'}, h('label', {for: 'run-kind'}, 'Workflow'), kindSel, kindHelp),
  h('div', {class: 'field sample-row'},
    h('span', {class: 'label-like'}, 'Text'),
    h('div', {class: 'text-sources'}, sampleBtn,
      h('span', {class: 'muted'}, 'or'),
      h('label', {for: 'run-file', class: 'file-label'}, 'Choose a .txt file'), file)),
  h('div', {class: 'field'}, h('label', {for: 'run-text'}, 'Novel text'), text, textHelp),
  h('div', {class: 'field-row'},
    h('div', {class: 'field'}, h('label', {for: 'run-title'}, 'Title'), title),
    h('div', {class: 'field'}, h('label', {for: 'run-author'}, 'Author ', h('span', {class: 'muted'}, '(optional)')), author)),
  h('div', {class: 'field check'}, auto, h('label', {for: 'run-auto'}, 'Start in auto mode (the daemon runs every step by itself)')),
  h('div', {class: 'actions'}, submit, h('a', {href: '#/'}, 'Cancel')));

  main.append(h('h1', {}, 'New run'), alerts.el, form);

  api.workflows().then(({workflows: list}) => {
    if (gone) return;
    for (const w of list || []) {
      workflows.set(w.kind, w);
      kindSel.append(h('option', {value: w.kind, selected: w.kind === DEFAULT_KIND}, w.kind));
    }
    if (!list || !list.length) alerts.show({code: 'not_found', message: 'the daemon has no workflow kinds'}, 'Workflows');
    describeKind();
  }).catch((e) => { if (!gone) alerts.show(e, 'Loading workflows'); });

  if (query.get('sample')) loadSample();
  return () => { gone = true; };
}
