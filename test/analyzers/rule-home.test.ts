// Everything about a rule lives in its file: the report takes a finding's impact and action
// from the rule's meta, keeps the findings in the document's order (one sort, in run.ts), and
// finds certificates through analyzers/certificates.ts as the TLS rules do.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ALL_RULES, RULE_INFO } from '../../src/analyzers/rules/index.js';
import { runAudit } from '../../src/analyzers/run.js';
import { clip, renderFindingsText } from '../../src/emitters/findings-text.js';
import { buildReportView } from '../../src/emitters/report/index.js';
import { buildPolicy } from '../../src/policy/index.js';
import type { Snapshot } from '../../src/model.js';
import { anonymousRelay, certificate, connector, defaults, estate, range } from '../helpers/build.js';

const NOW = new Date('2026-06-01T00:00:00Z');

function view(snapshot: Snapshot) {
  const findings = runAudit(snapshot, {}, NOW);
  return { findings, view: buildReportView({ snapshot, findings, rules: RULE_INFO, policy: buildPolicy(snapshot), generatedAt: NOW }) };
}

const busy = estate(defaults.exchange2016(),
  anonymousRelay({ identity: 'EX01\\Relay A', remoteIPRanges: [range('203.0.113.0/24')] }),
  anonymousRelay({ identity: 'EX01\\Relay B', remoteIPRanges: [range('10.9.0.0/16')], bindings: [{ address: '0.0.0.0', port: 2526 }] }),
  connector({ identity: 'EX01\\Plain', authMechanism: ['BasicAuth'], bindings: [{ address: '0.0.0.0', port: 587 }], remoteIPRanges: [range('10.1.0.0/16')] }),
  connector({ identity: 'EX01\\Old', enabled: false }));

describe('a rule\'s knowledge comes from its file', () => {
  it('the report\'s impact and summary actions are the rules\' own wording', () => {
    const { findings, view: v } = view(busy);
    assert.ok(findings.findings.length >= 4);
    const cards = v.groups.flatMap((g) => g.rules.flatMap((r) => r.affected));
    for (const card of cards) {
      const rule = ALL_RULES.find((r) => r.meta.id === card.rule);
      assert.ok(rule !== undefined);
      const wording = rule.meta.gradedWording?.[card.severity] ?? rule.meta.wording;
      assert.equal(card.impact, wording.impact, card.rule);
    }
    for (const fix of v.summary.topFixes) {
      assert.ok(ALL_RULES.some((r) => r.meta.wording.action === fix.action || Object.values(r.meta.gradedWording ?? {}).some((w) => w.action === fix.action)), fix.action);
    }
  });

  it('the report numbers findings in the JSON document\'s order', () => {
    const { findings, view: v } = view(busy);
    const cards = v.groups.flatMap((g) => g.rules.flatMap((r) => r.affected));
    const byAnchor = [...cards].sort((a, b) => Number(a.anchor.slice(2)) - Number(b.anchor.slice(2)));
    assert.deepEqual(byAnchor.map((c) => `${c.rule} ${c.connector ?? ''} ${c.message}`), findings.findings.map((f) => `${f.rule} ${f.connector ?? ''} ${f.message}`));
  });

  it('the fix commands are the rule\'s: AuthMechanism written as the connector\'s whole new set', () => {
    const { findings } = view(busy);
    const plain = findings.findings.find((f) => f.rule === 'basic-auth-without-tls' && f.connector === 'EX01\\Plain');
    assert.equal(plain?.remediation, "Set-ReceiveConnector -Identity 'EX01\\Plain' -AuthMechanism 'BasicAuth, Tls, BasicAuthRequireTLS' -ErrorAction Stop");
  });
});

describe('certificate matching has one home', () => {
  // Each case: the report shows a certificate exactly when tls-certificate-missing stays silent.
  const cases: Array<{ name: string; snapshot: Snapshot; shown: boolean }> = [
    { name: 'covered through the subject CN only (no SAN)', shown: true, snapshot: estate(defaults.exchange2016(),
      connector({ identity: 'EX01\\Auth', authMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'], fqdn: 'smtp.corp.example' }),
      certificate({ subject: 'CN=smtp.corp.example', dnsNames: [] })) },
    { name: 'covered by a wildcard SAN', shown: true, snapshot: estate(defaults.exchange2016(),
      connector({ identity: 'EX01\\Auth', authMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'], fqdn: 'smtp.corp.example' }),
      certificate({ subject: 'CN=mail.corp.example', dnsNames: ['*.corp.example'] })) },
    { name: 'a wildcard does not cover two labels', shown: false, snapshot: estate(defaults.exchange2016(),
      connector({ identity: 'EX01\\Auth', authMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'], fqdn: 'a.smtp.corp.example' }),
      certificate({ subject: 'CN=mail.corp.example', dnsNames: ['*.corp.example'] })) },
    { name: 'a certificate without the SMTP service', shown: false, snapshot: estate(defaults.exchange2016(),
      connector({ identity: 'EX01\\Auth', authMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'], fqdn: 'smtp.corp.example' }),
      certificate({ subject: 'CN=smtp.corp.example', dnsNames: ['smtp.corp.example'], services: ['IIS'] })) },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { findings, view: v } = view(c.snapshot);
      const card = v.servers.flatMap((s) => s.connectors).find((x) => x.identity === 'EX01\\Auth');
      const missing = findings.findings.some((f) => f.rule === 'tls-certificate-missing' && f.connector === 'EX01\\Auth');
      assert.equal(missing, !c.shown);
      assert.equal(card?.certificate.startsWith('no certificate'), !c.shown, card?.certificate);
    });
  }
});

describe('text output', () => {
  it('never cuts a word in the middle', () => {
    assert.equal(clip('alpha beta gamma', 12), 'alpha beta …');
    assert.equal(clip('alpha beta, gamma', 13), 'alpha beta …');
    assert.equal(clip('short', 12), 'short');
    const text = renderFindingsText(runAudit(busy, {}, NOW));
    const words = new Set(JSON.stringify(runAudit(busy, {}, NOW)).split(/[^A-Za-z0-9.\\/:-]+/));
    for (const line of text.split('\n')) {
      const m = /(\S+)…$/.exec(line);
      if (m !== null) assert.ok(words.has(m[1] ?? ''), `"${m[1]}" in ${line}`);
    }
  });
});
