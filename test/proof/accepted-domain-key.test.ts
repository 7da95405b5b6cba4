// Two wildcard relay domains are two findings of one rule with no connector: the verifier must
// tell them apart by their domain, or removing `*` looks as if its finding remained (the `*.com`
// one does) and neither removal is ever proved.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Snapshot } from '../../src/model.js';
import { auditWithProof } from '../../src/proof/verify.js';
import { TEST_NOW } from '../helpers/rule-tester.js';

const snapshot = JSON.parse(readFileSync(new URL('../../fixtures/audit/false-alarms/wildcard-relay-domains.json', import.meta.url), 'utf8')) as Snapshot;

test('each wildcard accepted domain gets its own proved removal, selected by DomainName (the export gives no Name)', async () => {
  const { doc } = await auditWithProof(snapshot, { loadBalancers: [] }, TEST_NOW);
  const wildcard = doc.findings.filter((f) => f.rule === 'wildcard-accepted-domain');
  assert.equal(wildcard.length, 2);
  for (const f of wildcard) {
    assert.ok(f.fix, `${f.message}: ${f.manual ?? ''}`);
    const domain = (f.evidence['acceptedDomain'] as { domainName: string }).domainName;
    assert.equal(f.fix.script, `Get-AcceptedDomain | Where-Object { $_.DomainName.ToString() -eq '${domain}' } | Remove-AcceptedDomain -Confirm:$false -ErrorAction Stop`);
    assert.equal(f.fix.verified?.resolves, true);
    assert.deepEqual(f.fix.verified?.newFindings, []);
    assert.ok(f.fix.verified?.kept.some((k) => /inbound internet mail to corp\.example/.test(k)), f.fix.verified?.kept.join('; '));
  }
});
