// Writes docs/rules/<id>.md and docs/rules/README.md from the rules' meta (`npm run docs:rules`).
import { writeFileSync } from 'node:fs';
import { ALL_RULES } from '../src/analyzers/rules/index.js';
import { renderRuleDocs } from '../src/analyzers/rule-table.js';

const dir = new URL('../docs/rules/', import.meta.url);
for (const [name, text] of renderRuleDocs(ALL_RULES)) writeFileSync(new URL(name, dir), text);
console.log(`docs/rules: ${ALL_RULES.length} rule pages and README.md written`);
