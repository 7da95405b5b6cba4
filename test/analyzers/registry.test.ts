// The registry matches the catalogue one to one (style §3.8): rule ids ⇔ RULE_IDS (copied from
// rules.md) ⇔ src/analyzers/rules/<id>.ts ⇔ test/analyzers/rules/<id>.test.ts ⇔ the rule table in docs/commands/audit.md.
// UPDATE_GOLDEN=1 rewrites that table between its markers.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { RULE_IDS } from '../../src/model.js';
import { ALL_RULES } from '../../src/analyzers/rules/index.js';
import { CONNECTOR_PROPERTIES } from '../../src/analyzers/rule.js';
import { renderRuleTable } from '../../src/analyzers/rule-table.js';
import { runAudit } from '../../src/analyzers/run.js';
import { defaults } from '../helpers/build.js';

const root = new URL('../../', import.meta.url);
const BEGIN = '<!-- rules:begin (generated from the rules\' meta; test/analyzers/registry.test.ts) -->\n';
const END = '<!-- rules:end -->';

describe('rule registry', () => {
  it('rules match the catalogue one to one', () => {
    assert.deepEqual(ALL_RULES.map((r) => r.meta.id), [...RULE_IDS].sort());
  });

  it('each rule has its own source file and test file, and nothing else lives there', () => {
    for (const id of RULE_IDS) {
      assert.ok(existsSync(new URL(`src/analyzers/rules/${id}.ts`, root)), `src/analyzers/rules/${id}.ts`);
      assert.ok(existsSync(new URL(`test/analyzers/rules/${id}.test.ts`, root)), `test/analyzers/rules/${id}.test.ts`);
    }
    const sources = readdirSync(new URL('src/analyzers/rules/', root)).filter((f) => f !== 'index.ts').map((f) => f.replace(/\.ts$/, ''));
    const tests = readdirSync(new URL('test/analyzers/rules/', root)).map((f) => f.replace(/\.test\.ts$/, ''));
    assert.deepEqual(sources.sort(), [...RULE_IDS].sort());
    assert.deepEqual(tests.sort(), [...RULE_IDS].sort());
  });

  it('every rule file exports the rule of its own name', async () => {
    for (const id of RULE_IDS) {
      const mod = (await import(new URL(`src/analyzers/rules/${id}.ts`, root).href)) as { default: { meta: { id: string } } };
      assert.equal(mod.default.meta.id, id);
    }
  });

  it('metadata is complete: title, description, copy-ready remediation, Microsoft references', () => {
    for (const r of ALL_RULES) {
      assert.ok(r.meta.title.length > 10, `${r.meta.id} title`);
      assert.ok(r.meta.description.length > 20, `${r.meta.id} description`);
      assert.match(r.meta.remediation, /(Set|Get|Remove|Add|Enable|New)-[A-Za-z]+/, `${r.meta.id} remediation is PowerShell`);
      assert.ok(r.meta.references.length > 0 && r.meta.references.every((u) => u.startsWith('https://learn.microsoft.com/')), `${r.meta.id} references`);
      assert.ok(r.meta.wording.impact.length > 20 && r.meta.wording.action.length > 5, `${r.meta.id} wording`);
      for (const p of r.meta.dependsOn ?? []) assert.ok(CONNECTOR_PROPERTIES.includes(p), `${r.meta.id} dependsOn ${p}`);
    }
  });

  it('the README rule table is current', () => {
    const file = new URL('docs/commands/audit.md', root);
    const readme = readFileSync(file, 'utf8');
    const table = renderRuleTable(ALL_RULES, '../rules/');
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    assert.ok(start >= 0 && end > start, 'docs/commands/audit.md has the rule table markers');
    const current = readme.slice(start + BEGIN.length, end);
    if (current !== table && process.env.UPDATE_GOLDEN === '1') {
      writeFileSync(file, readme.slice(0, start + BEGIN.length) + table + readme.slice(end));
      return;
    }
    assert.equal(current, table);
  });
});

describe('default installations audit clean', () => {
  // The claim is about setup's configuration, so it is checked on a date when every version
  // the installs carry was still supported (2010's support ended first, on 2020-10-13).
  const ALL_SUPPORTED = new Date('2020-06-01T00:00:00Z');
  // Later, an untouched install of a retired version is rightly a high finding: that finding,
  // and nothing else above low.
  const AFTER_2016_2019_END = new Date('2026-06-01T00:00:00Z');
  for (const { name, snapshot } of defaults.all()) {
    it(`${name}: nothing above low, with every rule that can run`, () => {
      const doc = runAudit(snapshot, { exchangeServers: ['10.0.0.11'], loadBalancers: ['10.0.0.200'] }, ALL_SUPPORTED);
      assert.deepEqual(doc.notRun ?? [], []);
      assert.deepEqual(doc.findings.filter((f) => f.severity !== 'low' && f.severity !== 'info').map((f) => `${f.rule} ${f.connector ?? ''}`), []);
    });
    it(`${name}: after its end of support, only the lifecycle finding is above low`, () => {
      const doc = runAudit(snapshot, { exchangeServers: ['10.0.0.11'], loadBalancers: ['10.0.0.200'] }, AFTER_2016_2019_END);
      assert.deepEqual(doc.findings.filter((f) => f.severity !== 'low' && f.severity !== 'info').map((f) => `${f.rule} ${f.server ?? ''}`), ['unsupported-exchange-version EX01']);
    });
  }
});
