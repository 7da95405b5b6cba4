// A should-fire / should-not-fire table for one rule (style §3.7). The tester refuses weak
// tables: an empty list, a repeated case name, an invalid case that expects nothing, an
// expected finding without `connector` or `evidence`, and — for rules above `low` — a valid
// list without the untouched default installs of 2010, 2013, 2016 and 2019. A case whose rule
// could not run for lack of data must say so (`notRun: true`), so "no finding" always means
// the rule looked and found nothing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../../src/json.js';
import type { Finding, Severity, Snapshot } from '../../src/model.js';
import type { Rule } from '../../src/analyzers/rule.js';
import { runAudit, type AuditOptions } from '../../src/analyzers/run.js';
import { defaultInstall } from './build.js';

export const TEST_NOW = new Date('2026-06-01T12:00:00Z');

export interface RuleCase {
  name: string;
  snapshot: Snapshot;
  options?: Omit<AuditOptions, 'rules' | 'only' | 'skip'>;
  now?: Date;
}
export interface ValidCase extends RuleCase {
  /** The rule is expected not to run (its data is missing). */
  notRun?: boolean;
}
export interface ExpectedFinding {
  /** Connector identity, or null for an organisation-wide finding. Required. */
  connector: string | null;
  severity?: Severity;
  /** Partial match: every key given must match (recursively; arrays element by element, same length). */
  evidence: Record<string, JsonValue>;
  message?: RegExp;
  server?: string | null;
}
export interface InvalidCase extends RuleCase {
  findings: ExpectedFinding[];
}

/** Deep partial match: objects compare on the expected keys, arrays by length then element. */
export function matchesPartially(actual: unknown, expected: unknown): boolean {
  if (expected === null || typeof expected !== 'object') return Object.is(actual, expected);
  if (Array.isArray(expected)) {
    return Array.isArray(actual) && actual.length === expected.length && expected.every((e, i) => matchesPartially(actual[i], e));
  }
  if (actual === null || typeof actual !== 'object' || Array.isArray(actual)) return false;
  const a = actual as Record<string, unknown>;
  return Object.entries(expected).every(([k, v]) => k in a && matchesPartially(a[k], v));
}

function findingMatches(f: Finding, e: ExpectedFinding): boolean {
  return f.connector === e.connector
    && (e.severity === undefined || f.severity === e.severity)
    && (e.server === undefined || f.server === e.server)
    && (e.message === undefined || e.message.test(f.message))
    && matchesPartially(f.evidence, e.evidence);
}

const ABOVE_LOW: readonly Severity[] = ['critical', 'high', 'medium'];

/** Checks the table itself; throws with the reason when it is too weak to trust. */
export function validateTable(rule: Rule, table: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  const id = rule.meta.id;
  if (table.valid.length === 0) throw new Error(`${id}: the valid (should-not-fire) list is empty`);
  if (table.invalid.length === 0) throw new Error(`${id}: the invalid (should-fire) list is empty`);
  const names = new Set<string>();
  for (const c of [...table.valid, ...table.invalid]) {
    if (names.has(c.name)) throw new Error(`${id}: case name "${c.name}" is repeated`);
    names.add(c.name);
  }
  for (const c of table.invalid) {
    if (c.findings.length === 0) throw new Error(`${id}: invalid case "${c.name}" expects no finding`);
    for (const f of c.findings) {
      if (!('connector' in f) || f.connector === undefined) throw new Error(`${id}: invalid case "${c.name}" has an expected finding without connector`);
      if (!('evidence' in f) || f.evidence === undefined || Object.keys(f.evidence).length === 0) throw new Error(`${id}: invalid case "${c.name}" has an expected finding without evidence`);
    }
  }
  if (ABOVE_LOW.includes(rule.meta.defaultSeverity)) {
    for (const version of ['2010', '2013', '2016', '2019'] as const) {
      const wanted = JSON.stringify(defaultInstall(version));
      if (!table.valid.some((c) => c.notRun !== true && JSON.stringify(c.snapshot) === wanted)) {
        throw new Error(`${id}: the valid list lacks the untouched default Exchange ${version} install`);
      }
    }
  }
}

export function testRule(rule: Rule, table: { valid: ValidCase[]; invalid: InvalidCase[] }): void {
  describe(`rule ${rule.meta.id}`, () => {
    it('has a table strong enough to trust', () => validateTable(rule, table));

    for (const c of table.valid) {
      it(`does not fire: ${c.name}`, () => {
        const doc = runAudit(c.snapshot, { ...c.options, rules: [rule] }, c.now ?? TEST_NOW);
        const didNotRun = (doc.notRun ?? []).some((n) => n.rule === rule.meta.id);
        assert.equal(didNotRun, c.notRun === true, didNotRun ? `rule did not run: ${JSON.stringify(doc.notRun)}` : 'rule ran although notRun was expected');
        assert.deepEqual(doc.findings.map((f) => `${f.severity} ${f.connector ?? '-'}: ${f.message}`), []);
      });
    }

    for (const c of table.invalid) {
      it(`fires: ${c.name}`, () => {
        const doc = runAudit(c.snapshot, { ...c.options, rules: [rule] }, c.now ?? TEST_NOW);
        assert.deepEqual(doc.notRun ?? [], [], 'the rule must run');
        const remaining = [...doc.findings];
        for (const e of c.findings) {
          const at = remaining.findIndex((f) => findingMatches(f, e));
          assert.ok(at >= 0, `no finding matches ${JSON.stringify({ ...e, message: e.message?.source })}\nfindings:\n${JSON.stringify(remaining, null, 1)}`);
          const [f] = remaining.splice(at, 1);
          // Stamping: every finding carries the rule's metadata and a concrete remediation.
          assert.equal(f?.rule, rule.meta.id);
          assert.equal(f?.title, rule.meta.title);
          assert.deepEqual(f?.references, rule.meta.references);
          assert.doesNotMatch(f?.remediation ?? '', /\{identity\}|\{server\}/);
        }
        assert.deepEqual(remaining.map((f) => `${f.severity} ${f.connector ?? '-'}: ${f.message}`), [], 'unexpected extra findings');
      });
    }

    // Assumed is not observed: with every property the rule reads marked as assumed on every
    // connector, the same case yields no finding about a connector, and says which checks it skipped.
    const needed = rule.meta.dependsOn ?? [];
    if (needed.length > 0) {
      for (const c of table.invalid.filter((x) => x.findings.some((f) => f.connector !== null))) {
        it(`does not fire on assumed properties: ${c.name}`, () => {
          const snapshot: Snapshot = { ...c.snapshot, connectors: c.snapshot.connectors.map((x) => ({ ...x, extra: { ...x.extra, assumed: [...needed] } })) };
          const doc = runAudit(snapshot, { ...c.options, rules: [rule] }, c.now ?? TEST_NOW);
          assert.deepEqual(doc.findings.filter((f) => f.connector !== null).map((f) => `${f.severity} ${f.connector ?? '-'}: ${f.message}`), []);
          const skipped = (doc.notRun ?? []).filter((n) => n.rule === rule.meta.id && n.connector !== undefined);
          for (const e of c.findings) {
            if (e.connector !== null) assert.ok(skipped.some((n) => n.connector === e.connector), `${e.connector ?? ''} listed as not run`);
          }
        });
      }
    }
  });
}
