import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gateFails, runAudit } from '../../src/analyzers/run.js';
import { compareFindings } from '../../src/model.js';
import { parseSuppressions, type Suppression } from '../../src/analyzers/suppressions.js';
import { InputError } from '../../src/errors.js';
import { SEVERITIES } from '../../src/model.js';
import { acceptedDomain, anonymousRelay, connector, defaults, estate, range } from '../helpers/build.js';

const NOW = new Date('2026-06-01T12:00:00Z');

/** A small estate with findings at several severities. */
function messy() {
  return estate(defaults.exchange2016(),
    anonymousRelay({ remoteIPRanges: [range('203.0.113.0/24')] }),
    connector({ identity: "EX01\\O'Brien Apps", authMechanism: ['BasicAuth'], bindings: [{ address: '0.0.0.0', port: 2526 }], remoteIPRanges: [range('10.4.0.1')] }),
    connector({ identity: 'EX01\\Old', enabled: false }),
    acceptedDomain({ domainName: '*', domainType: 'InternalRelay', default: false }));
}

describe('runAudit', () => {
  it('orders findings by severity, rule, server, connector and counts them in the summary', () => {
    const doc = runAudit(messy(), {}, NOW);
    assert.equal(doc.schema, 'exrelay.findings/1');
    const sorted = [...doc.findings].sort(compareFindings);
    assert.deepEqual(doc.findings, sorted);
    const ranks = doc.findings.map((f) => SEVERITIES.indexOf(f.severity));
    assert.deepEqual(ranks, [...ranks].sort((a, b) => a - b));
    assert.equal(doc.findings[0]?.severity, 'critical');
    for (const s of SEVERITIES) assert.equal(doc.summary[s], doc.findings.filter((f) => f.severity === s).length);
    assert.ok(doc.findings.some((f) => f.rule === 'wildcard-accepted-domain' && f.connector === null && f.server === null));
  });

  it('stamps metadata and quotes the identity for PowerShell in the remediation', () => {
    const doc = runAudit(messy(), { only: ['basic-auth-without-tls'] }, NOW);
    assert.equal(doc.findings.length, 1);
    const f = doc.findings[0];
    assert.equal(f?.connector, "EX01\\O'Brien Apps");
    assert.equal(f?.server, 'EX01');
    assert.equal(f?.title, 'Basic authentication offered before TLS');
    assert.match(f?.remediation ?? '', /-Identity 'EX01\\O''Brien Apps' /);
  });

  it('--only and --skip select rules', () => {
    const only = runAudit(messy(), { only: ['disabled-connector', 'wildcard-accepted-domain'] }, NOW);
    assert.deepEqual([...new Set(only.findings.map((f) => f.rule))].sort(), ['disabled-connector', 'wildcard-accepted-domain']);
    const skip = runAudit(messy(), { skip: ['disabled-connector'] }, NOW);
    assert.ok(!skip.findings.some((f) => f.rule === 'disabled-connector'));
    assert.ok(skip.findings.some((f) => f.rule === 'anonymous-open-relay'));
  });

  it('says once per rule which data is missing and which export enables it', () => {
    const bare = { ...estate(anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] })), permissions: [], certificates: [] };
    const doc = runAudit(bare, {}, NOW);
    const notRun = doc.notRun ?? [];
    assert.deepEqual(notRun.map((n) => n.rule), ['anonymous-open-relay', 'anonymous-relay-inventory', 'explicit-deny-present', 'load-balancer-in-relay-range', 'tls-certificate-expired', 'tls-certificate-missing']);
    assert.match(notRun.find((n) => n.rule === 'tls-certificate-missing')?.export ?? '', /Get-ExchangeCertificate/);
    assert.match(notRun.find((n) => n.rule === 'explicit-deny-present')?.export ?? '', /Get-ADPermission/);
    assert.match(notRun.find((n) => n.rule === 'load-balancer-in-relay-range')?.export ?? '', /--load-balancers/);
    assert.ok(!doc.findings.some((f) => notRun.some((n) => n.rule === f.rule)));
  });

  it('suppressed findings become accepted risks, are not counted, and come back once expired', () => {
    const suppressions: Suppression[] = [
      { rule: 'anonymous-open-relay', connector: 'ex01\\relay ex01', reason: 'partner gateway, contract until 2027', expires: '2027-01-31' },
      { rule: 'disabled-connector', connector: 'EX01\\Old', reason: 'kept for rollback', expires: '2026-05-31' },
      { rule: 'wildcard-accepted-domain', connector: null, reason: 'lab', expires: '2026-06-01' },
    ];
    const doc = runAudit(messy(), { suppressions }, NOW);
    // In the one findings order: the critical wildcard domain before the (narrow, high) relay.
    assert.deepEqual((doc.accepted ?? []).map((a) => [a.finding.rule, a.reason, a.expires]), [
      ['wildcard-accepted-domain', 'lab', '2026-06-01'],
      ['anonymous-open-relay', 'partner gateway, contract until 2027', '2027-01-31'],
    ]);
    assert.ok(!doc.findings.some((f) => f.rule === 'anonymous-open-relay'));
    assert.equal(doc.summary.critical, 0);
    const old = doc.findings.find((f) => f.rule === 'disabled-connector');
    assert.match(old?.message ?? '', /accepted risk expired 2026-05-31: kept for rollback/);
    // The day after its date a date-only suppression has expired.
    const later = runAudit(messy(), { suppressions }, new Date('2026-06-02T00:00:00Z'));
    assert.ok(later.findings.some((f) => f.rule === 'wildcard-accepted-domain'));
  });

  it('the gate fails at the threshold or worse only', () => {
    const doc = runAudit(messy(), { only: ['disabled-connector'] }, NOW);
    assert.equal(gateFails(doc, 'info'), true);
    assert.equal(gateFails(doc, 'low'), false);
    assert.equal(gateFails(runAudit(messy(), {}, NOW), 'critical'), true);
  });
});

describe('parseSuppressions', () => {
  it('reads YAML and JSON, lists or { suppressions }', () => {
    const yaml = parseSuppressions('s.yaml', `- rule: anonymous-open-relay\n  connector: EX01\\Relay EX01\n  reason: partner\n  expires: 2027-01-31\n`);
    assert.deepEqual(yaml, [{ rule: 'anonymous-open-relay', connector: 'EX01\\Relay EX01', reason: 'partner', expires: '2027-01-31' }]);
    const json = parseSuppressions('s.json', JSON.stringify({ suppressions: [{ rule: 'disabled-connector', connector: '*', reason: 'x', expires: '2027-01-01' }] }));
    assert.deepEqual(json, [{ rule: 'disabled-connector', connector: '*', reason: 'x', expires: '2027-01-01' }]);
  });

  it('rejects bad entries naming the file and line', () => {
    const bad = (text: string, re: RegExp, line: number | null) => {
      assert.throws(() => parseSuppressions('s.yaml', text), (e: unknown) => e instanceof InputError && re.test(e.message) && e.line === line && e.file === 's.yaml');
    };
    bad(`- rule: anonymous-open-relay\n  connector: a\n  reason: r\n  expires: 2027-01-01\n- rule: no-such-rule\n  connector: a\n  reason: r\n  expires: 2027-01-01\n`, /unknown rule "no-such-rule"/, 5);
    bad(`- rule: disabled-connector\n  connector: a\n  expires: 2027-01-01\n`, /needs a reason/, 1);
    bad(`- rule: disabled-connector\n  connector: a\n  reason: r\n  expires: someday\n`, /expires must be a date/, 1);
    bad(`[ { "rule": `, /not valid JSON or YAML/, 1);
  });
});
