// Renders Fountain screenplay text (fountain.io syntax) as a formatted page: title page,
// scene headings, action, centred character cues, parentheticals, dialogue, transitions.

import {h} from './dom.js';

const SCENE_RE = /^(?:\.(?!\.)|(?:INT|EXT|EST|INT\.?\/EXT|I\/E)[. ])/i;
const TRANSITION_RE = /^[A-Z0-9 .'-]+TO:$/;

// *italic*, **bold**, _underline_ (and combinations) as elements; everything else as text.
function inline(text) {
  const out = [];
  // An underscore inside a word (novel_to_script) is not emphasis.
  const re = /(\*\*\*|\*\*|\*|(?<![\p{L}\p{N}])_)(?=\S)(.+?)(?<=\S)\1(?![\p{L}\p{N}])/gu;
  let last = 0;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (m.index > last) out.push(text.slice(last, m.index));
    const inner = inline(m[2]);
    if (m[1] === '_') out.push(h('u', {}, inner));
    else if (m[1] === '*') out.push(h('em', {}, inner));
    else if (m[1] === '**') out.push(h('strong', {}, inner));
    else out.push(h('strong', {}, h('em', {}, inner)));
    last = m.index + m[0].length;
  }
  if (last < text.length) out.push(text.slice(last).replace(/\\([*_])/g, '$1'));
  return out;
}

function isUpperCue(line) {
  const name = line.replace(/\s*\(.*\)\s*\^?$/, '').replace(/\^$/, '').trim();
  return name.length > 0 && /[A-Z]/.test(name) && name === name.toUpperCase() && !/^[\d\s.]+$/.test(name);
}

// Splits off the title page: `Key: value` lines (with indented continuations) up to the
// first blank line. Returns [{key, value}] and the remaining lines.
function titlePage(lines) {
  const entries = [];
  let i = 0;
  if (!/^[A-Za-z][A-Za-z ]*:/.test(lines[0] || '')) return [entries, lines];
  for (; i < lines.length && lines[i].trim() !== ''; i++) {
    const m = /^([A-Za-z][A-Za-z ]*):\s*(.*)$/.exec(lines[i]);
    if (m) entries.push({key: m[1].toLowerCase(), value: m[2] ? [m[2]] : []});
    else if (entries.length) entries[entries.length - 1].value.push(lines[i].trim());
  }
  return [entries, lines.slice(i)];
}

// Returns a DOM element holding the rendered screenplay.
export function renderFountain(text) {
  const page = h('article', {class: 'screenplay', 'aria-label': 'Screenplay'});
  const src = String(text || '')
    .replace(/\r\n?/g, '\n')
    .replace(/\/\*[\s\S]*?\*\//g, '')       // boneyard
    .replace(/\[\[[\s\S]*?\]\]/g, '');      // notes
  const [meta, lines] = titlePage(src.split('\n'));

  if (meta.length) {
    const tp = h('header', {class: 'sp-title-page'});
    const get = (k) => meta.find((e) => e.key === k)?.value || [];
    for (const t of get('title')) tp.append(h('h2', {class: 'sp-title'}, inline(t)));
    const credit = get('credit');
    const authors = [...get('author'), ...get('authors')];
    if (credit.length || authors.length) {
      tp.append(h('p', {class: 'sp-credit'}, credit.join(' ') || 'Written by'));
      for (const a of authors) tp.append(h('p', {class: 'sp-author'}, inline(a)));
    }
    for (const s of get('source')) tp.append(h('p', {class: 'sp-source'}, inline(s)));
    const rest = meta.filter((e) => !['title', 'credit', 'author', 'authors', 'source'].includes(e.key));
    if (rest.length) {
      tp.append(h('dl', {class: 'sp-meta'}, rest.map((e) => [h('dt', {}, e.key), h('dd', {}, e.value.join(' '))])));
    }
    page.append(tp);
  }

  let sceneCount = 0;
  for (let i = 0; i < lines.length; i++) {
    const raw = lines[i];
    const line = raw.trim();
    const prevBlank = i === 0 || lines[i - 1].trim() === '';
    const nextLine = i + 1 < lines.length ? lines[i + 1].trim() : '';
    if (line === '') continue;
    if (/^={3,}$/.test(line)) { page.append(h('hr', {class: 'sp-page-break'})); continue; }
    if (line.startsWith('#')) { page.append(h('p', {class: 'sp-section'}, line.replace(/^#+\s*/, ''))); continue; }
    if (/^=[^=]/.test(line)) { page.append(h('p', {class: 'sp-synopsis'}, line.slice(1).trim())); continue; }
    if (prevBlank && SCENE_RE.test(line) && nextLine === '') {
      sceneCount++;
      let heading = line.startsWith('.') ? line.slice(1) : line;
      let number = '';
      const num = /\s*#([\w.-]+)#\s*$/.exec(heading);
      if (num) { number = num[1]; heading = heading.slice(0, num.index); }
      page.append(h('h3', {class: 'sp-scene', id: `scene-${sceneCount}`},
        number ? h('span', {class: 'sp-scene-number'}, number) : null, heading.toUpperCase()));
      continue;
    }
    if (line.startsWith('>') && line.endsWith('<')) {
      page.append(h('p', {class: 'sp-centered'}, inline(line.slice(1, -1).trim())));
      continue;
    }
    if (prevBlank && nextLine === '' && (line.startsWith('>') || TRANSITION_RE.test(line))) {
      page.append(h('p', {class: 'sp-transition'}, line.replace(/^>\s*/, '')));
      continue;
    }
    // Character cue: (forced with @ or) all caps, after a blank line, followed by dialogue.
    if (prevBlank && nextLine !== '' && !line.startsWith('!') && (line.startsWith('@') || isUpperCue(line))) {
      const block = h('div', {class: 'sp-dialogue-block'});
      const cue = line.replace(/^@/, '').replace(/\s*\^$/, '');
      block.append(h('p', {class: 'sp-character'}, cue));
      let j = i + 1;
      for (; j < lines.length && lines[j].trim() !== ''; j++) {
        const d = lines[j].trim();
        if (/^\(.*\)$/.test(d)) block.append(h('p', {class: 'sp-parenthetical'}, d));
        else block.append(h('p', {class: 'sp-dialogue'}, inline(d)));
      }
      page.append(block);
      i = j - 1;
      continue;
    }
    // Action: up to the next blank line, line breaks kept.
    const para = [];
    let j = i;
    for (; j < lines.length && lines[j].trim() !== ''; j++) para.push(lines[j].replace(/^!/, ''));
    const p = h('p', {class: 'sp-action'});
    para.forEach((l, k) => { if (k) p.append(h('br')); p.append(...inline(l.trimEnd())); });
    page.append(p);
    i = j - 1;
  }
  return page;
}
