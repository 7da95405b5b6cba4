// docs/rules/ is generated from the rules' meta: every rule has its page, the index lists every
// rule, and no page is stale. Run `npm run docs:rules` after changing a rule's meta.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { ALL_RULES } from '../../src/analyzers/rules/index.js';
import { renderRuleDocs } from '../../src/analyzers/rule-table.js';

const dir = new URL('../../docs/rules/', import.meta.url);

describe('docs/rules', () => {
  const expected = renderRuleDocs(ALL_RULES);
  for (const [name, text] of expected) {
    it(`${name} is current (npm run docs:rules)`, () => {
      assert.equal(readFileSync(new URL(name, dir), 'utf8'), text, `docs/rules/${name} is stale: run npm run docs:rules`);
    });
  }

  it('holds no page for a rule that does not exist', () => {
    const pages = readdirSync(dir).filter((f) => f.endsWith('.md') && f !== 'README.md' && f !== 'checked-estates.md');
    assert.deepEqual(pages.sort(), ALL_RULES.map((r) => `${r.meta.id}.md`).sort());
  });

  it('the index links every rule page', () => {
    const index = expected.get('README.md') ?? '';
    for (const r of ALL_RULES) assert.ok(index.includes(`](${r.meta.id}.md)`), r.meta.id);
  });
});
