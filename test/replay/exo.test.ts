// replay --flavor exo: the logged traffic answered as Exchange Online's endpoints would answer it
// once the devices have moved as the exit plan says. One test per path and per refusal, the
// replies taken from the reply table (policy/replies.ts) the model and its docs share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { PlanDocument, PlanSender, ReplayResult, Scenario, Snapshot } from '../../src/model.js';
import { buildPolicy, plannedTenant } from '../../src/policy/index.js';
import { parsePlanDocument } from '../../src/policy/plan-file.js';
import { COMMON_REPLIES, EXO_REPLIES, UNCONFIRMED_EXO_REPLIES } from '../../src/policy/replies.js';
import { runExoScenario, type ExoReplaySetup } from '../../src/replay/exo.js';
import { runCli } from '../helpers/cli.js';

const fixture = (name: string) => new URL(`../../fixtures/${name}`, import.meta.url);
const SNAPSHOT = 'fixtures/migrate/estate-2010-2016.snapshot.json';
const snapshot = JSON.parse(readFileSync(fixture('migrate/estate-2010-2016.snapshot.json'), 'utf8')) as Snapshot;
const policy = buildPolicy(snapshot);
const m365 = parsePlanDocument(readFileSync(fixture('plans/m365.plan.json'), 'utf8'), 'm365.plan.json');
const TODAY: ReplayResult = { name: 'today', connector: 'EX10\\Old EX10', outcome: 'accepted', replies: [], recipients: [] };

function setup(plan: PlanDocument = m365, rejectDirectSend = false): ExoReplaySetup {
  return { plan, tenant: plannedTenant(snapshot, policy, plan), policy, rejectDirectSend, now: new Date(0) };
}

function scenario(clientIp: string, rcptTo: string[], extra: Partial<Scenario> = {}): Scenario {
  return { name: `from ${clientIp}`, clientIp, port: 25, tls: false, auth: null, helo: 'device.corp.example', mailFrom: 'device@corp.example', rcptTo, ...extra };
}

function run(s: Scenario, plan?: PlanDocument, rejectDirectSend?: boolean): ReplayResult {
  return runExoScenario(setup(plan, rejectDirectSend), s, () => TODAY).result;
}

const replyOf = (result: ReplayResult, stage: string) => result.replies.find((x) => x.stage === stage);
const sameReply = (got: { code: number; enhanced: string | null; text: string } | undefined, want: { code: number; enhanced: string | null; text: string }) =>
  assert.deepEqual(got === undefined ? null : { code: got.code, enhanced: got.enhanced, text: got.text }, want);

function withSender(ip: string, change: Partial<PlanSender>): PlanDocument {
  return { ...m365, senders: m365.senders.map((s) => (s.remoteIp === ip ? { ...s, ...change } : s)) };
}

test('connector-ip: a sender whose egress address the planned connector lists relays to the internet', () => {
  const result = run(scenario('10.1.1.20', ['orders@supplier.example']));
  assert.equal(result.outcome, 'accepted');
  assert.equal(result.connector, 'EXO\\exrelay relay by IP');
});

test('connector-ip without an egress address: no connector recognises it, external recipients get 550 5.7.64 TenantAttribution', () => {
  const plan = withSender('10.1.1.20', { egressIp: null });
  const result = run(scenario('10.1.1.20', ['orders@supplier.example', 'colleague@corp.example']), plan);
  sameReply(result.recipients[0], EXO_REPLIES.tenantRelayDenied);
  // The tenant's own recipients are still reachable by Direct Send (RejectDirectSend off).
  sameReply(result.recipients[1], COMMON_REPLIES.recipientOk);
  assert.equal(result.outcome, 'accepted');
  assert.equal(run(scenario('10.1.1.20', ['orders@supplier.example']), plan).outcome, 'rejected');
});

test('Direct Send rejected: with --reject-direct-send an unrecognised sender using an accepted domain gets 550 5.7.68', () => {
  const plan = withSender('10.1.1.20', { egressIp: null });
  const result = run(scenario('10.1.1.20', ['colleague@corp.example']), plan, true);
  sameReply(result.recipients[0], EXO_REPLIES.directSendRejected);
  assert.equal(result.outcome, 'rejected');
  // A sender from a domain that is not the tenant's is ordinary inbound mail, not Direct Send.
  assert.equal(run(scenario('10.1.1.20', ['colleague@corp.example'], { mailFrom: 'x@elsewhere.example' }), plan, true).outcome, 'accepted');
  // A recognised sender is not Direct Send either.
  assert.equal(run(scenario('10.1.1.20', ['colleague@corp.example']), m365, true).outcome, 'accepted');
});

test('connector-certificate: the planned certificate connector recognises the relay; without a certificate name it does not', () => {
  assert.equal(run(scenario('10.1.2.5', ['someone@customer.example'], { tls: true })).outcome, 'accepted');
  const bare = withSender('10.1.2.5', { tlsCertificateName: null });
  sameReply(run(scenario('10.1.2.5', ['someone@customer.example'], { tls: true }), bare).recipients[0], EXO_REPLIES.tenantRelayDenied);
});

test('client-submission-oauth: a device that logs in with LOGIN today is refused once Basic auth is disabled (550 5.7.30); with XOAUTH2 it sends', () => {
  const login = run(scenario('10.5.3.4', ['client@customer.example'], { port: 587, tls: true, auth: { user: 'CORP\\svc-crm', password: 'x', mechanism: 'LOGIN' } }));
  sameReply(replyOf(login, 'auth'), EXO_REPLIES.basicAuthDisabled);
  assert.equal(login.outcome, 'rejected');
  assert.equal(login.connector, 'EXO\\smtp.office365.com');
  const oauth = run(scenario('10.5.3.4', ['client@customer.example'], { port: 587, tls: true, auth: { user: 'crm@corp.example', password: 'token', mechanism: 'XOAUTH2' } }));
  assert.equal(oauth.outcome, 'accepted');
});

test('client-submission-basic: Basic auth is refused (the tenant after Basic auth for SMTP AUTH is disabled)', () => {
  const result = run(scenario('10.5.3.5', ['staff@corp.example'], { port: 587, tls: true, auth: { user: 'CORP\\svc-legacy', password: 'x', mechanism: 'PLAIN' } }));
  sameReply(replyOf(result, 'auth'), EXO_REPLIES.basicAuthDisabled);
});

test('high-volume-email: the device logs in with its HVE account; internal recipients are accepted, external ones refused', () => {
  const result = run(scenario('10.9.9.40', ['colleague@corp.example', 'someone@customer.example']));
  assert.equal(result.connector, 'EXO\\smtp.hve.mx.microsoft');
  sameReply(replyOf(result, 'starttls'), COMMON_REPLIES.startTlsReady);
  sameReply(replyOf(result, 'auth'), COMMON_REPLIES.authSuccessful);
  sameReply(result.recipients[0], COMMON_REPLIES.recipientOk);
  sameReply(result.recipients[1], UNCONFIRMED_EXO_REPLIES.hveExternalRecipient);
  assert.equal(result.outcome, 'accepted');
  // No HVE account (no accepted domain for it): the login fails.
  const noDomain: Snapshot = { ...snapshot, acceptedDomains: [] };
  const bare: ExoReplaySetup = { ...setup(), tenant: plannedTenant(noDomain, buildPolicy(noDomain), m365) };
  sameReply(replyOf(runExoScenario(bare, scenario('10.9.9.40', ['colleague@corp.example']), () => TODAY).result, 'auth'), COMMON_REPLIES.authUnsuccessful);
});

test('keep-on-premises: answered by today\'s configuration; a sender the plan does not list: the MX endpoint answers it as an unknown sender', () => {
  assert.equal(run(scenario('10.7.7.7', ['someone@external.example'])), TODAY);
  const forgotten = runExoScenario(setup(), scenario('10.1.1.99', ['someone@external.example']), () => TODAY);
  sameReply(forgotten.result.recipients[0], EXO_REPLIES.tenantRelayDenied);
  assert.equal(forgotten.result.outcome, 'rejected');
  assert.equal(forgotten.result.connector, 'EXO\\corp-example.mail.protection.outlook.com');
  assert.match(forgotten.note ?? '', /no sender 10\.1\.1\.99/);
  // Inbound internet mail (which the plan leaves out) is still delivered once the MX moves: not a break.
  const inbound = runExoScenario(setup(), scenario('203.0.113.50', ['staff@corp.example'], { mailFrom: 'news@newsletter.example' }), () => TODAY);
  assert.equal(inbound.result.outcome, 'accepted');
});

test('a device that logs in today and is sent to the MX endpoint gets Exchange\'s reply to an AUTH that is not offered', () => {
  const result = run(scenario('10.1.1.20', ['orders@supplier.example'], { auth: { user: 'x', password: 'y', mechanism: 'LOGIN' } }));
  sameReply(replyOf(result, 'auth'), UNCONFIRMED_EXO_REPLIES.authNotOffered);
});

test('CLI: replay --flavor exo --plan compares today with the planned tenant and names what breaks', async () => {
  const r = await runCli(['replay', SNAPSHOT, '--scenarios', 'fixtures/plans/m365.scenarios.json', '--flavor', 'exo', '--plan', 'fixtures/plans/m365.plan.json', '--format', 'json']);
  assert.equal(r.exitCode, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { summary: { total: number; changed: number }; results: Array<{ name: string; changed: boolean; after: ReplayResult }> };
  const byName = new Map(doc.results.map((x) => [x.name, x]));
  assert.equal(doc.summary.total, 7);
  assert.equal(byName.get('door controller to a supplier')?.changed, false, 'same outcome and replies: the connector rename is not a change');
  assert.equal(byName.get('crm with LOGIN')?.after.outcome, 'rejected');
  assert.equal(byName.get('a host the plan forgot')?.after.outcome, 'rejected');
  assert.equal(byName.get('old app stays on premises')?.changed, false);
  assert.match(r.stderr, /the plan has no sender 10\.1\.1\.99/);
  const gate = await runCli(['replay', SNAPSHOT, '--scenarios', 'fixtures/plans/m365.scenarios.json', '--flavor', 'exo', '--plan', 'fixtures/plans/m365.plan.json', '--fail-on-change']);
  assert.equal(gate.exitCode, 1);
  assert.match(gate.stdout, /^breaks: crm with LOGIN$/m);
});

test('CLI: --flavor exo needs --plan, --plan needs --flavor exo, exo takes no --compare, and the sandbox has no exo', async () => {
  const base = ['replay', SNAPSHOT, '--scenarios', 'fixtures/plans/m365.scenarios.json'];
  for (const [args, message] of [
    [[...base, '--flavor', 'exo'], /--flavor exo needs --plan/],
    [[...base, '--plan', 'fixtures/plans/m365.plan.json'], /--plan needs --flavor exo/],
    [[...base, '--flavor', 'exo', '--plan', 'fixtures/plans/m365.plan.json', '--compare', SNAPSHOT], /leave out --compare/],
    [[...base, '--flavor', 'exo', '--plan', 'fixtures/plans/m365.scenarios.json'], /m365\.scenarios\.json: not an exit plan/],
    [['sandbox', SNAPSHOT, '--server', 'EX10', '--flavor', 'exo'], /exo/],
  ] as const) {
    const r = await runCli(args);
    assert.equal(r.exitCode, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
});
