// The three round-trips of proved fixes (rules.md "Fixes"): the fix exrelay now offers, and what
// replay shows before and after it — next to the fix exrelay used to offer, which its own apply
// or audit refutes.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { applyScript } from '../../src/apply/apply.js';
import type { Finding, Scenario, Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { auditWithProof, prepareProof, proveScript } from '../../src/proof/verify.js';
import { runScenario } from '../../src/replay/replay.js';
import { ANONYMOUS, R, anonymousRelay, connector, defaults, estate, permission, range } from '../helpers/build.js';
import { TEST_NOW } from '../helpers/rule-tester.js';

const INTERNET = '203.0.113.9';

function scenario(name: string, clientIp: string, port: number, mailFrom: string, rcptTo: string): Scenario {
  return { name, clientIp, port, tls: false, auth: null, helo: 'client.example', mailFrom, rcptTo: [rcptTo] };
}

function outcome(snapshot: Snapshot, s: Scenario): string {
  const r = runScenario(buildPolicy(snapshot), s, [], { server: 'EX01' });
  const last = r.replies[r.replies.length - 1];
  return `${r.outcome} ${last?.code ?? ''}`.trim();
}

async function proved(snapshot: Snapshot, rule: string, connectorIdentity: string): Promise<Finding> {
  const { doc } = await auditWithProof(snapshot, {}, TEST_NOW);
  const finding = doc.findings.find((f) => f.rule === rule && f.connector === connectorIdentity);
  assert.ok(finding, `${rule} on ${connectorIdentity} in ${doc.findings.map((f) => `${f.rule}@${f.connector ?? ''}`).join(', ')}`);
  return finding;
}

describe('round-trip: open Default Frontend', () => {
  const FRONTEND = 'EX01\\Default Frontend EX01';
  const open = estate(defaults.exchange2016(), permission({ identity: FRONTEND, user: ANONYMOUS, extendedRights: [R.anyRecipient] }));
  const relay = scenario('internet relays', INTERNET, 25, 'spam@elsewhere.example', 'victim@far-away.example');
  const inbound = scenario('internet mail to the organisation', INTERNET, 25, 'someone@elsewhere.example', 'user@corp.example');

  it('the old fix (removing the ranges) is refused by apply: it would stop all inbound mail', async () => {
    const old = `Set-ReceiveConnector -Identity '${FRONTEND}' -RemoteIPRanges @{Remove='0.0.0.0-255.255.255.255','::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'}`;
    await assert.rejects(applyScript(open, old, { file: 'old-fix.ps1' }), /RemoteIPRanges/);
  });

  it('the new fix removes the anonymous Accept-Any-Recipient entry, is proved, and replay shows relay closed and inbound mail kept', async () => {
    const finding = await proved(open, 'anonymous-open-relay', FRONTEND);
    assert.equal(finding.manual, null);
    assert.ok(finding.fix);
    assert.equal(finding.fix.script, `Remove-ADPermission -Identity '${FRONTEND}' -User '${ANONYMOUS}' -ExtendedRights '${R.anyRecipient}' -Confirm:$false -ErrorAction Stop`);
    assert.deepEqual(finding.fix.verified && { ...finding.fix.verified, kept: finding.fix.verified.kept.filter((k) => k.startsWith('inbound')) },
      { accepted: true, resolves: true, newFindings: [], kept: ['inbound internet mail to corp.example on port 25'] });
    const after = (await applyScript(open, finding.fix.script, { file: 'fix.ps1' })).snapshot;
    assert.equal(outcome(open, relay), 'accepted 250');
    assert.match(outcome(after, relay), /^rejected 550/);
    assert.equal(outcome(open, inbound), 'accepted 250');
    assert.equal(outcome(after, inbound), 'accepted 250');
  });
});

describe('round-trip: externally secured partner connector', () => {
  const PARTNER = 'EX01\\Partner EX01';
  const partner = connector({
    name: 'Partner EX01', transportRole: 'FrontendTransport', bindings: [{ address: '0.0.0.0', port: 25 }],
    remoteIPRanges: [range('198.51.100.16/28')], authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['ExchangeServers'],
  });
  const secured = estate(defaults.exchange2016(), partner);
  const partnerRelay = scenario('partner relays', '198.51.100.17', 25, 'orders@partner.example', 'customer@far-away.example');

  it('the old fix (anonymous relay for the same ranges) is refuted: it adds an anonymous open relay as severe as the finding', async () => {
    const { doc, context } = await auditWithProof(secured, {}, TEST_NOW);
    const finding = doc.findings.find((f) => f.rule === 'externally-secured-relay');
    assert.ok(finding);
    const old = `Set-ReceiveConnector -Identity '${PARTNER}' -AuthMechanism Tls -PermissionGroups AnonymousUsers\nGet-ReceiveConnector -Identity '${PARTNER}' | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient'`;
    const { verification, problems } = await proveScript(context, finding, old);
    assert.equal(verification.resolves, true, problems.join('; '));
    assert.ok(verification.newFindings.some((f) => f.includes('anonymous-open-relay')), verification.newFindings.join(', '));
    assert.ok(problems.length > 0);
    // Replay: the partner host relays before and after; after it does so as anyone at all from its range.
    const after = (await applyScript(secured, old, { file: 'old-fix.ps1' })).snapshot;
    assert.equal(outcome(secured, partnerRelay), 'accepted 250');
    assert.equal(outcome(after, partnerRelay), 'accepted 250');
  });

  it('the new advice is manual: no script turns the partner into an anonymous relay, and the partner keeps relaying meanwhile', async () => {
    const finding = await proved(secured, 'externally-secured-relay', PARTNER);
    assert.equal(finding.fix, null);
    assert.match(finding.manual ?? '', /mutual TLS|dedicated hosts/);
    assert.match(finding.manual ?? '', /open relay/);
    assert.doesNotMatch(finding.manual ?? '', /10\.0\.0\.25|<[a-z ]+>/);
    assert.equal(outcome(secured, partnerRelay), 'accepted 250');
  });
});

describe('round-trip: anonymous sender rights on a hub connector and on a Front End connector', () => {
  const RELAY = 'EX01\\Relay EX01';
  const own = scenario('scanner as its own domain', '10.1.1.5', 2526, 'scanner@corp.example', 'partner@far-away.example');
  const spoofed = scenario('host spoofing an outside sender', '10.1.1.5', 2526, 'ceo@bank.example', 'partner@far-away.example');

  it('hub: the old fix (PermissionGroups None + Submit + Accept-Any-Recipient) drops Authoritative-Domain-Sender and replay shows 550 5.7.1 for the own domain', async () => {
    const hub = estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')], transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2526 }] }));
    const old = `Set-ReceiveConnector -Identity '${RELAY}' -PermissionGroups None\nGet-ReceiveConnector -Identity '${RELAY}' | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Submit','ms-Exch-SMTP-Accept-Any-Recipient'`;
    const after = (await applyScript(hub, old, { file: 'old-fix.ps1' })).snapshot;
    assert.equal(outcome(hub, own), 'accepted 250');
    assert.match(outcome(after, own), /^rejected 550/);
    const finding = (await auditWithProof(hub, {}, TEST_NOW)).doc.findings.find((f) => f.rule === 'anonymous-sender-spoofing');
    assert.ok(finding);
    const context = prepareProof(hub, {}, TEST_NOW);
    const { problems } = await proveScript(context, finding, old);
    assert.ok(problems.some((p) => p.includes('stops relay from 10.1.1.5')), problems.join('; '));
  });

  it('hub: the new fix removes only Accept-Any-Sender; replay keeps the own domain and refuses the spoofed sender', async () => {
    const hub = estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')], transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2526 }] }));
    const finding = await proved(hub, 'anonymous-sender-spoofing', RELAY);
    assert.ok(finding.fix, finding.manual ?? '');
    assert.equal(finding.fix.script, `Remove-ADPermission -Identity '${RELAY}' -User '${ANONYMOUS}' -ExtendedRights '${R.anySender}' -Confirm:$false -ErrorAction Stop`);
    assert.ok(finding.fix.verified?.kept.includes(`relay from 10.1.1.5 through ${RELAY}`));
    const after = (await applyScript(hub, finding.fix.script, { file: 'fix.ps1' })).snapshot;
    assert.equal(outcome(hub, own), 'accepted 250');
    assert.equal(outcome(after, own), 'accepted 250');
    assert.equal(outcome(hub, spoofed), 'accepted 250');
    assert.match(outcome(after, spoofed), /^rejected 550/);
  });

  it('Front End: no script (Exchange does not enforce it there), manual advice is SPF/DMARC or a transport rule; replay shows removing the right changes nothing', async () => {
    const fe = estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] }));
    const finding = await proved(fe, 'anonymous-sender-spoofing', RELAY);
    assert.equal(finding.fix, null);
    assert.match(finding.manual ?? '', /SPF/);
    assert.match(finding.manual ?? '', /transport rule/);
    const removal = `Remove-ADPermission -Identity '${RELAY}' -User '${ANONYMOUS}' -ExtendedRights '${R.anySender}' -Confirm:$false -ErrorAction Stop`;
    const after = (await applyScript(fe, removal, { file: 'removal.ps1' })).snapshot;
    const spoofedFe = { ...spoofed, port: 25 };
    assert.equal(outcome(fe, spoofedFe), 'accepted 250');
    assert.equal(outcome(after, spoofedFe), 'accepted 250');
  });
});
