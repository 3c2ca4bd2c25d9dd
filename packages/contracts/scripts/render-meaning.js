// Rewrites the generated tables of docs/MEANING.md from the meaning tables in
// packages/contracts/src/meaning (run `pnpm build` first: this reads dist/).
const fs = require('node:fs');
const path = require('node:path');
const { renderMeaningDoc } = require('../dist/meaning/render');

const file = path.resolve(__dirname, '../../../docs/MEANING.md');
const before = fs.readFileSync(file, 'utf8');
const after = renderMeaningDoc(before);
fs.writeFileSync(file, after);
console.log(before === after ? 'docs/MEANING.md was up to date' : 'docs/MEANING.md rewritten');
