// Parses a Fountain file with the independent fountain-js parser and checks that it
// has the expected number of scene headings.
// Usage: node fountain_check.js <file.fountain> <expected scenes>
'use strict';
const fs = require('fs');
const { Fountain } = require('fountain-js');

const [file, expected] = process.argv.slice(2);
const source = fs.readFileSync(file, 'utf8');
let output;
try {
  output = new Fountain().parse(source, true);
} catch (err) {
  console.error(`fountain-js failed to parse ${file}: ${err.message}`);
  process.exit(1);
}
const scenes = output.tokens.filter((t) => t.type === 'scene_heading').length;
const dialogue = output.tokens.filter((t) => t.type === 'dialogue').length;
if (!output.title) {
  console.error('no title on the title page');
  process.exit(1);
}
if (String(scenes) !== String(expected)) {
  console.error(`fountain-js sees ${scenes} scene headings, stats say ${expected}`);
  process.exit(1);
}
console.log(`fountain-js: "${output.title}", ${scenes} scenes, ${dialogue} dialogue lines`);
