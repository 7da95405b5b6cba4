// The plan's decisions and blockers that the fixture's logs cannot show on their own: a sender
// only tracking logs saw, worksheet paths that do not fit the sender, several senders together
// over the tenant limit, worksheet rows the logs do not have. Against the migrate fixture's
// configuration (accepted domain corp.example; EX10\Relay EX10 offers no logon, EX10\Apps EX10 does).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import type { LogsSender } from '../../src/logs/aggregate.js';
import { planFromInputs, type PlanInput, type PlanOptions } from '../../src/logs/plan.js';
import type { WorksheetEntry } from '../../src/logs/worksheet.js';
import type { PlanSender, Snapshot } from '../../src/model.js';

const snapshot = JSON.parse(readFileSync(new URL('../../fixtures/migrate/estate-2010-2016.snapshot.json', import.meta.url), 'utf8')) as Snapshot;

function input(over: Partial<LogsSender>, mechanisms: string[] = []): PlanInput {
  return {
    server: 'EX10', mechanisms,
    sender: {
      connector: 'EX10\\Relay EX10', remoteIp: '10.1.2.3', sessions: 2, messages: 4, authenticatedAs: [], tls: false,
      mailFromDomains: { 'corp.example': 4 }, rcptDomains: { 'corp.example': 4 }, externalRecipients: 0, rejectedRecipients: 0,
      firstSeen: '2026-11-02T08:00:00.000Z', lastSeen: '2026-11-03T08:00:00.000Z', seenIn: ['protocol'],
      perDay: [{ day: '2026-11-02', messages: 2, recipients: 2, externalRecipients: 0 }, { day: '2026-11-03', messages: 2, recipients: 2, externalRecipients: 0 }],
      hostNames: [], ...over,
    },
  };
}
const external = (perDay: number[]): Partial<LogsSender> => ({
  rcptDomains: { 'outside.example': perDay.reduce((a, b) => a + b, 0) }, externalRecipients: perDay.reduce((a, b) => a + b, 0),
  perDay: perDay.map((n, i) => ({ day: `2026-11-0${i + 2}`, messages: 1, recipients: n, externalRecipients: n })),
});
const options = (over: Partial<PlanOptions> = {}): PlanOptions => ({ target: 'm365', egress: new Map(), licences: null, worksheet: null, madeOn: new Date('2026-12-07T00:00:00Z'), ...over });
const ws = (rows: Array<Partial<WorksheetEntry>>): PlanOptions['worksheet'] => ({
  file: 'senders.csv', entries: rows.map((r, i) => ({ remoteIp: '10.1.2.3', connector: 'EX10\\Relay EX10', owner: '', application: '', decision: '', line: i + 2, ...r })),
});
const only = (inputs: PlanInput[], o: PlanOptions): PlanSender => {
  const { plan } = planFromInputs(inputs, snapshot, o);
  assert.equal(plan.senders.length, 1);
  return plan.senders[0]!;
};
const ids = (s: PlanSender): string[] => s.blockers.map((b) => b.id).sort();

describe('plan decisions beyond the fixture', () => {
  it('tracking logs only, on a connector that offers a logon: auth-unknown, kept on premises, nothing concluded', () => {
    const s = only([input({ connector: 'EX10\\Apps EX10', seenIn: ['tracking'], sessions: 0 })], options());
    assert.equal(s.auth, 'unknown');
    assert.equal(s.path, 'keep-on-premises');
    assert.deepEqual(ids(s), ['auth-unknown']);
  });

  it('tracking logs only, on a connector that offers no logon: anonymous by configuration (row 3)', () => {
    const s = only([input({ seenIn: ['tracking'], sessions: 0 })], options());
    assert.equal(s.auth, 'anonymous');
    assert.equal(s.path, 'high-volume-email');
    assert.match(s.reasons[0] ?? '', /EX10\\Relay EX10 offers no logon \(AuthMechanism Tls\)/);
  });

  it('row 1 judges the busiest day: a sender under 10 % on average but over it on one day goes to ACS', () => {
    // 10 licences: limit 12005, a tenth is 1200.5; average (1300 + 100) / 2 = 700.
    const s = only([input(external([1300, 100]))], options({ licences: 10 }));
    assert.equal(s.path, 'azure-communication-services');
    assert.equal(s.externalRecipientsPerDay, 700);
    assert.equal(s.maxExternalRecipientsPerDay, 1300);
    // Exactly a tenth is not above it.
    assert.notEqual(only([input(external([1200]))], options({ licences: 10 })).path, 'azure-communication-services');
  });

  it('tenant-outbound-limit: senders through Exchange Online together over the limit on one day', () => {
    // 1 licence: limit 10000, a tenth 1000. Eleven senders of 950 a day, each with its own egress: 10450 on 2026-11-02.
    const inputs = Array.from({ length: 11 }, (_, i) => input({ remoteIp: `10.1.2.${10 + i}`, ...external([950]) }));
    const egress = new Map(inputs.map((x, i) => [x.sender.remoteIp, `203.0.113.${10 + i}`]));
    const { plan } = planFromInputs(inputs, snapshot, options({ licences: 1, egress }));
    assert.equal(plan.tenantExternalRecipientLimit, 10000);
    for (const s of plan.senders) {
      assert.equal(s.path, 'connector-ip');
      assert.deepEqual(ids(s), ['tenant-outbound-limit']);
      assert.match(s.blockers[0]?.text ?? '', /send 10450 external recipients on 2026-11-02, above the tenant's limit of 10000 a day for 1 licences/);
    }
    // Ten of them stay under it: no blocker.
    const fewer = planFromInputs(inputs.slice(0, 10), snapshot, options({ licences: 1, egress })).plan;
    assert.ok(fewer.senders.every((s) => s.blockers.length === 0));
  });

  it('worksheet paths that do not fit the sender get their blockers', () => {
    const hve = only([input(external([5]))], options({ worksheet: ws([{ decision: 'high-volume-email' }]) }));
    assert.equal(hve.decidedBy, 'worksheet');
    assert.deepEqual(ids(hve), ['external-recipients']);
    const oauth = only([input({})], options({ worksheet: ws([{ decision: 'Client-Submission-OAuth' }]) }));
    assert.equal(oauth.path, 'client-submission-oauth');
    assert.deepEqual(ids(oauth), ['authentication-required']);
    const ip = only([input(external([5]))], options({ worksheet: ws([{ decision: 'connector-ip' }]) }));
    assert.deepEqual(ids(ip), ['no-dedicated-egress']);
    // ACS and keep-on-premises do not need the tenant's accepted domains.
    const acs = only([input({ mailFromDomains: { 'elsewhere.example': 4 } })], options({ worksheet: ws([{ decision: 'azure-communication-services' }]) }));
    assert.deepEqual(acs.blockers, []);
  });

  it('a worksheet decision for a sender the logs do not have is kept; a row without one is left out with a warning', () => {
    const { plan, warnings } = planFromInputs([], snapshot, options({
      worksheet: ws([{ remoteIp: '10.9.9.9', decision: 'client-submission-basic', owner: 'Ops' }, { remoteIp: '10.9.9.8' }]),
    }));
    assert.equal(plan.senders.length, 1);
    assert.equal(plan.senders[0]?.path, 'client-submission-basic');
    assert.deepEqual(plan.senders[0] === undefined ? [] : ids(plan.senders[0]), ['basic-auth']);
    assert.equal(plan.senders[0]?.owner, 'Ops');
    assert.deepEqual(warnings, ['senders.csv:3: 10.9.9.8 on EX10\\Relay EX10 is not in these logs; left out']);
  });

  it('two worksheet rows for one sender are bad input naming both lines', () => {
    assert.throws(() => planFromInputs([input({})], snapshot, options({ worksheet: ws([{ decision: 'high-volume-email' }, { remoteIp: '10.1.2.3 ' }]) })),
      (e: unknown) => e instanceof InputError && e.line === 3 && /a second row for 10\.1\.2\.3 .* \(the first is line 2\)/.test(e.message));
  });
});
