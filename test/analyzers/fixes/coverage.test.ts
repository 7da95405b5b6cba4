// Over the demo estate, the audit fixtures and a generated variety of estates: every finding
// above info of the rules whose generators live here gets either a script that passes its
// proof (accepted, resolves, nothing worse, baseline traffic kept) or manual advice — never a
// script that fails. The counts are printed as diagnostics (the figures of the issue).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runAudit } from '../../../src/analyzers/run.js';
import { importSources } from '../../../src/importers/index.js';
import type { Snapshot } from '../../../src/model.js';
import { decodeSource } from '../../../src/source.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { generateVariety } from '../../helpers/estates.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { passes, proveRule, ruleById, type Proof } from './prove.js';

export const GENERATOR_RULES = [
  'basic-auth-without-tls', 'tls-not-offered', 'tls-certificate-missing', 'tls-certificate-expired', 'protocol-logging-disabled',
  'disabled-connector', 'explicit-deny-present', 'wildcard-accepted-domain', 'port-conflict', 'connector-inconsistent-across-servers',
  'overlapping-remote-ranges', 'duplicate-connector-scope', 'shadowed-connector', 'unsupported-exchange-version',
] as const;

function files(dir: string): string[] {
  return readdirSync(dir).filter((n) => n !== 'logs').flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

async function load(paths: string[]): Promise<Snapshot> {
  return (await importSources(paths.sort().map((f) => decodeSource(f, readFileSync(f))))).snapshot;
}

interface Tally { scripts: number; manual: number; failed: string[]; perRule: Map<string, { scripts: number; manual: number }> }

async function tally(snapshots: ReadonlyArray<{ name: string; snapshot: Snapshot }>): Promise<Tally> {
  const t: Tally = { scripts: 0, manual: 0, failed: [], perRule: new Map() };
  for (const { name, snapshot } of snapshots) {
    const before = runAudit(snapshot, {}, TEST_NOW);
    for (const id of GENERATOR_RULES) {
      const proofs: Proof[] = await proveRule(ruleById(id), snapshot, TEST_NOW, {}, before);
      for (const p of proofs) {
        if (p.finding.severity === 'info') continue;
        const row = t.perRule.get(id) ?? { scripts: 0, manual: 0 };
        t.perRule.set(id, row);
        if (p.candidate.script === undefined) { t.manual++; row.manual++; continue; }
        if (passes(p)) { t.scripts++; row.scripts++; continue; }
        t.failed.push(`${name}: ${p.finding.rule} ${p.finding.connector ?? p.finding.server ?? '-'}: accepted=${String(p.accepted)} ${p.refusal ?? ''} resolves=${String(p.resolves)} new=${(p.newFindings ?? []).join(',')} broken=${(p.broken ?? []).join(',')}`);
      }
    }
  }
  return t;
}

const summary = (t: Tally): string => `${t.scripts} proved scripts, ${t.manual} manual, ${t.failed.length} failing scripts of ${t.scripts + t.manual + t.failed.length} findings above info`
  + ` (${[...t.perRule.entries()].map(([id, r]) => `${id} ${r.scripts}/${r.scripts + r.manual}`).join('; ')})`;

describe('fix coverage of the generators in the rule files', () => {
  it('the demo estate fixtures/estate-2010-2016', async (t) => {
    const snapshot = await load(files(join(REPO_ROOT, 'fixtures/estate-2010-2016')).filter((f) => !f.endsWith('.yaml')));
    const result = await tally([{ name: 'demo', snapshot }]);
    t.diagnostic(`demo: ${summary(result)}`);
    assert.deepEqual(result.failed, []);
    assert.ok(result.scripts + result.manual > 0);
  });

  it('the audit fixtures', async (t) => {
    const dir = join(REPO_ROOT, 'fixtures/audit');
    const paths = [...files(dir)].filter((f) => f.endsWith('.json') && !f.endsWith('replay-compare.json'));
    const snapshots = await Promise.all(paths.map(async (p) => ({ name: p.slice(dir.length + 1), snapshot: await load([p]) })));
    const result = await tally(snapshots);
    t.diagnostic(`fixtures/audit: ${summary(result)}`);
    assert.deepEqual(result.failed, []);
  });

  it('a generated variety of 24 estates (2010, 2016, 2019, Subscription Edition; one to three servers)', async (t) => {
    const result = await tally(generateVariety(1, 24).map((e) => ({ name: e.name, snapshot: e.snapshot })));
    t.diagnostic(`generated: ${summary(result)}`);
    assert.deepEqual(result.failed, []);
    assert.ok(result.scripts > 0, summary(result));
  });
});
