// The comparison of the incremental re-audit with the full one (incremental-cases.ts) must fail
// when a rule declares too narrow a scope, or reads a leaf property (RULE_LEAF_PROPERTIES)
// without naming it in meta.dependsOn: each case below narrows one rule on purpose and expects
// some candidate or probe over the neighbouring-connectors estate or the demo to show it. The
// estate itself must agree with the full re-audit as declared.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Rule, RuleScope } from '../../src/analyzers/rule.js';
import { ALL_RULES } from '../../src/analyzers/rules/index.js';
import { proofEstates } from './estates.js';
import { assertIncrementalAgrees, casesOf, differences, type Case } from './incremental-cases.js';
import { incrementalEstates } from './incremental-estates.js';

const demo = (await proofEstates()).filter((e) => e.name.startsWith('demo'));
const estates = [...incrementalEstates(), ...demo];
let built: Promise<Case[]> | undefined;
const allCases = (): Promise<Case[]> => (built ??= Promise.all(estates.map(casesOf)).then((x) => x.flat()));

/** Whether some case where the rule reports something shows a difference with these rules. */
async function caught(id: string, rules: readonly Rule[]): Promise<boolean> {
  return (await allCases()).some((c) => c.context.beforeFindings.some((f) => f.rule === id) && differences(c, rules).length > 0);
}

describe('the neighbouring-connectors estate agrees as declared', () => {
  for (const estate of incrementalEstates()) it(estate.name, () => assertIncrementalAgrees(estate));
});

describe('a leaf property a rule reads without naming it in dependsOn is caught', () => {
  for (const [id, property] of [
    ['protocol-logging-disabled', 'ProtocolLoggingLevel'],
    ['tls-certificate-missing', 'Fqdn'],
    ['tls-certificate-missing', 'TlsCertificateName'],
  ] as const) {
    it(`${id} without ${property}`, async () => {
      const rules = ALL_RULES.map((r) => (r.meta.id === id ? { ...r, meta: { ...r.meta, dependsOn: (r.meta.dependsOn ?? []).filter((p) => p !== property) } } : r));
      assert.ok(await caught(id, rules), `${id} reading ${property} unnamed goes unnoticed`);
    });
  }
});

describe('a scope declared too narrow is caught', () => {
  for (const [id, scope] of [
    ['anonymous-open-relay', 'connector'],
    ['duplicate-connector-scope', 'connector'],
    ['load-balancer-in-relay-range', 'connector'],
    ['overlapping-remote-ranges', 'connector'],
    ['port-conflict', 'connector'],
    ['relay-range-includes-exchange-server', 'connector'],
    ['shadowed-connector', 'connector'],
    ['connector-inconsistent-across-servers', 'server'],
  ] as const satisfies ReadonlyArray<readonly [string, RuleScope]>) {
    it(`${id} as '${scope}'`, async () => {
      assert.notEqual(ALL_RULES.find((r) => r.meta.id === id)?.meta.scope, scope);
      const rules = ALL_RULES.map((r) => (r.meta.id === id ? { ...r, meta: { ...r.meta, scope } } : r));
      assert.ok(await caught(id, rules), `declaring ${id} '${scope}' goes unnoticed`);
    });
  }
});
