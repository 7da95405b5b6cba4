// The exit plan of fixtures/estate-exit (tracking and protocol logs of CMEX16A against the
// configuration of fixtures/estate-2010-2016): every row follows the contract's decision table,
// one test per path and per blocker, and bad input is one line with exit 2.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import { captureIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { PLAN_SCHEMA, type PlanDocument, type PlanSender } from '../../src/model.js';
import { tenantExternalRecipientLimit } from '../../src/logs/plan-facts.js';
import { REPO_ROOT } from '../helpers/cli.js';

// The estate's exports without its own logs folder (which an INPUT would skip with a warning).
const CONFIG = ['org', 'CMEX10A', 'CMEX10B', 'CMEX16A', 'CMEX16B'].map((d) => join(REPO_ROOT, 'fixtures/estate-2010-2016', d));
const LOGS = join(REPO_ROOT, 'fixtures/estate-exit/logs');
const WORKSHEET = join(REPO_ROOT, 'fixtures/estate-exit/worksheet.csv');
const EGRESS = '10.20.60.11=203.0.113.10,10.20.60.12=203.0.113.20,10.20.60.13=203.0.113.20';
const BASE = [...CONFIG, '--logs', LOGS, '--worksheet', WORKSHEET, '--licences', '10', '--egress', EGRESS, '--as-of', '2026-12-07'];

async function run(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(['plan', ...args], io);
  return { code, out: io.out, err: io.err };
}

async function planOf(args: readonly string[]): Promise<PlanDocument> {
  const r = await run([...args, '--format', 'json']);
  assert.equal(r.code, 0, r.err);
  return JSON.parse(r.out) as PlanDocument;
}

const byIp = (plan: PlanDocument, ip: string): PlanSender => {
  const s = plan.senders.find((x) => x.remoteIp === ip);
  assert.ok(s !== undefined, `${ip} in the plan`);
  return s;
};
const blockerIds = (s: PlanSender): string[] => s.blockers.map((b) => b.id).sort();

describe('plan: the fixture estate', async () => {
  const plan = await planOf(BASE);
  const limit = tenantExternalRecipientLimit(10);

  it('is an exrelay.plan/1 document for m365 with the tenant limit of 10 licences', () => {
    assert.equal(plan.schema, PLAN_SCHEMA);
    assert.equal(plan.target, 'm365');
    assert.equal(limit, 12005); // 500 × 10^0.7 + 9500 = 12005.9, truncated as Microsoft's examples are
    assert.equal(plan.tenantExternalRecipientLimit, 12005);
    assert.equal(plan.madeOn, '2026-12-07');
  });

  it('every row not decided by the worksheet follows the default decision table, first match wins', () => {
    const tableRows = plan.senders.filter((s) => s.decidedBy === 'table');
    assert.ok(tableRows.length >= 8);
    for (const s of tableRows) {
      const egressShared = s.egressIp !== null && plan.senders.some((o) => o !== s && o.egressIp === s.egressIp);
      let expected: string;
      if ((s.maxExternalRecipientsPerDay ?? 0) > 0.1 * limit) expected = 'azure-communication-services';
      else if (s.auth === 'authenticated') expected = 'client-submission-oauth';
      else if (s.auth === 'unknown') expected = 'keep-on-premises';
      else if (s.externalRecipientsPerDay === 0) expected = 'high-volume-email';
      else if (s.egressIp !== null && !egressShared) expected = 'connector-ip';
      else expected = 'keep-on-premises';
      assert.equal(s.path, expected, `${s.remoteIp} on ${s.connector}`);
    }
  });

  it('row 1: external bulk above 10 % of the tenant limit goes to Azure Communication Services', () => {
    const s = byIp(plan, '10.20.60.10');
    assert.equal(s.path, 'azure-communication-services');
    assert.equal(s.maxExternalRecipientsPerDay, 1300);
    assert.equal(s.externalRecipientsPerDay, 1300);
    assert.deepEqual(s.blockers, []);
    assert.match(s.reasons.join(' '), /above 10 % of the tenant's external recipient limit \(12005 a day for 10 licences\)/);
  });

  it('row 1 needs --licences: without it the bulk sender falls through to the next rows', async () => {
    const without = await planOf(BASE.filter((a, i) => a !== '--licences' && BASE[i - 1] !== '--licences'));
    assert.equal(without.tenantExternalRecipientLimit, null);
    assert.equal(byIp(without, '10.20.60.10').path, 'keep-on-premises');
    assert.ok(without.senders.every((s) => !s.blockers.some((b) => b.id === 'tenant-outbound-limit')));
  });

  it('row 2: authenticated senders go to client submission with OAuth; LOGIN is the basic-auth blocker, NTLM is not', () => {
    const login = byIp(plan, '10.20.50.31');
    assert.equal(login.path, 'client-submission-oauth');
    assert.deepEqual(login.accounts, ['CORP\\svc-handheld']);
    assert.deepEqual(login.authMechanisms, ['LOGIN']);
    assert.deepEqual(blockerIds(login), ['basic-auth']);
    assert.match(login.blockers[0]?.text ?? '', /disables Basic auth for SMTP AUTH by default at the end of December 2026/);
    const ntlm = byIp(plan, '10.20.70.40');
    assert.equal(ntlm.path, 'client-submission-oauth');
    assert.deepEqual(ntlm.authMechanisms, ['NTLM']);
    assert.deepEqual(ntlm.blockers, []);
  });

  it('row 3: anonymous senders to internal recipients only go to High Volume Email', () => {
    const s = byIp(plan, '10.20.40.22');
    assert.equal(s.path, 'high-volume-email');
    assert.equal(s.externalRecipientsPerDay, 0);
    assert.equal(s.internalRecipientsPerDay, 6);
    assert.deepEqual(s.blockers, []);
    assert.deepEqual([s.owner, s.application], ['Facilities', 'Printer 2nd floor']);
  });

  it('row 4: anonymous, external, with a dedicated egress address: connector-ip', () => {
    const s = byIp(plan, '10.20.60.11');
    assert.equal(s.path, 'connector-ip');
    assert.equal(s.egressIp, '203.0.113.10');
    assert.deepEqual(s.blockers, []);
  });

  it('row 4 otherwise: keep-on-premises with no-dedicated-egress, for a shared NAT address and for none given', () => {
    for (const ip of ['10.20.60.12', '10.20.60.13']) {
      const s = byIp(plan, ip);
      assert.equal(s.path, 'keep-on-premises');
      assert.deepEqual(blockerIds(s), ['no-dedicated-egress']);
      assert.match(s.blockers[0]?.text ?? '', /203\.0\.113\.20 is shared \(NAT\) with 10\.20\.60\.1[23]/);
    }
    const none = byIp(plan, '10.20.60.14');
    assert.equal(none.path, 'keep-on-premises');
    assert.deepEqual(blockerIds(none), ['no-dedicated-egress']);
    assert.match(none.blockers[0]?.text ?? '', /no public egress address given/);
  });

  it('the worksheet decides connector-certificate and client-submission-basic (with the basic-auth blocker)', () => {
    const cert = byIp(plan, '10.20.60.15');
    assert.equal(cert.path, 'connector-certificate');
    assert.equal(cert.decidedBy, 'worksheet');
    assert.match(cert.reasons.join(' '), /worksheet\.csv line 7/);
    assert.equal(cert.tlsCertificateName, 'edi.contoso-mfg.example');
    assert.deepEqual(cert.blockers, []);
    const basic = byIp(plan, '10.20.50.33');
    assert.equal(basic.path, 'client-submission-basic');
    assert.equal(basic.decidedBy, 'worksheet');
    assert.deepEqual(basic.authMechanisms, ['LOGIN']);
    assert.deepEqual(blockerIds(basic), ['basic-auth']);
  });

  it('blocker sender-domain-not-accepted: a printer sending as a domain the organisation does not accept', () => {
    const s = byIp(plan, '10.20.40.23');
    assert.equal(s.path, 'high-volume-email');
    assert.deepEqual(s.senderDomains, ['printers.local']);
    assert.deepEqual(blockerIds(s), ['sender-domain-not-accepted']);
    // The same connector's printer that sends as an accepted domain has none.
    assert.deepEqual(byIp(plan, '10.20.40.22').blockers, []);
  });

  it('blocker tenant-outbound-limit: the worksheet sends the bulk sender through a connector', async () => {
    const over = await planOf([...CONFIG, '--logs', LOGS, '--worksheet', join(REPO_ROOT, 'fixtures/estate-exit/worksheet-bulk-through-connector.csv'),
      '--licences', '10', '--egress', '10.20.60.10=203.0.113.30', '--as-of', '2026-12-07']);
    // That worksheet has no tlsCertificateName column: the certificate connector cannot be built.
    assert.deepEqual(blockerIds(byIp(over, '10.20.60.15')), ['certificate-name-missing']);
    const s = byIp(over, '10.20.60.10');
    assert.equal(s.path, 'connector-ip');
    assert.deepEqual(blockerIds(s), ['tenant-outbound-limit']);
    assert.match(s.blockers[0]?.text ?? '', /1300 external recipients on its busiest day \(2026-11-02\) are more than 10 % of the tenant's limit of 12005/);
    // With enough licences the same sender is no longer a tenth of the limit.
    const big = await planOf([...CONFIG, '--logs', LOGS, '--worksheet', join(REPO_ROOT, 'fixtures/estate-exit/worksheet-bulk-through-connector.csv'),
      '--licences', '1000', '--egress', '10.20.60.10=203.0.113.30', '--as-of', '2026-12-07']);
    assert.deepEqual(byIp(big, '10.20.60.10').blockers, []);
  });

  it('inbound mail from an internet server is not a sender of the plan', async () => {
    assert.equal(plan.senders.some((s) => s.remoteIp === '203.0.113.50'), false);
    const r = await run(BASE);
    assert.match(r.err, /1 sender\(s\) left out as inbound mail, not relay .*203\.0\.113\.50/);
  });

  it('after December 2026 the Basic auth sentence says it has been disabled', async () => {
    const later = await planOf([...BASE.slice(0, -2), '--as-of', '2027-02-01']);
    assert.match(byIp(later, '10.20.50.31').blockers[0]?.text ?? '', /has disabled Basic auth for SMTP AUTH by default since the end of December 2026/);
  });
});

describe('plan: on-premises targets', () => {
  for (const target of ['se', 'postfix'] as const) {
    it(`--target ${target}: every sender keeps on premises, the target named, no Microsoft 365 blocker`, async () => {
      const r = await run([...BASE, '--target', target, '--format', 'json']);
      assert.equal(r.code, 0, r.err);
      const plan = JSON.parse(r.out) as PlanDocument;
      assert.equal(plan.target, target);
      assert.ok(plan.senders.length >= 10);
      for (const s of plan.senders) {
        assert.equal(s.path, 'keep-on-premises');
        assert.deepEqual(s.blockers, []);
        assert.match(s.reasons.join(' '), target === 'se' ? /Exchange Server Subscription Edition/ : /Postfix/);
      }
      assert.match(r.err, /2 worksheet decision\(s\) name a Microsoft 365 path/);
    });
  }
});

describe('plan: formats', () => {
  it('csv: BOM, CRLF, one row per sender, blockers by id', async () => {
    const r = await run([...BASE, '--format', 'csv']);
    assert.equal(r.code, 0, r.err);
    assert.ok(r.out.startsWith('\uFEFFremoteIp,connector,server,owner,application,path,'));
    assert.ok(!/[^\r]\n/.test(r.out), 'CRLF only');
    const rows = parse<Record<string, string>>(r.out, { bom: true, columns: true });
    assert.equal(rows.length, 11);
    const shared = rows.find((x) => x.remoteIp === '10.20.60.12');
    assert.equal(shared?.path, 'keep-on-premises');
    assert.equal(shared?.blockers, 'no-dedicated-egress');
  });

  it('text: the paths counted and each blocker named', async () => {
    const r = await run(BASE);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^Exit plan, target m365, made on 2026-12-07: 11 senders, 6 with blockers/);
    assert.match(r.out, /Paths: client-submission-oauth 2, client-submission-basic 1, high-volume-email 2, azure-communication-services 1, connector-ip 1, connector-certificate 1, keep-on-premises 3/);
    assert.match(r.out, /BLOCKER basic-auth: /);
  });

  it('html: one self-contained page with the exit-plan section, a row per sender', async () => {
    const r = await run([...BASE, '--format', 'html']);
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^<!DOCTYPE html>/);
    assert.match(r.out, /<section id="exit-plan"/);
    assert.equal((r.out.match(/<tr class="[^"]*" data-path="/g) ?? []).length, 11);
    assert.equal((r.out.match(/data-blocker="no-dedicated-egress"/g) ?? []).length, 3);
    assert.doesNotMatch(r.out, /<script|https?:\/\/(?!www\.w3)/);
  });
});

describe('plan: bad input is one line and exit 2', () => {
  const dir = mkdtempSync(join(tmpdir(), 'exrelay-plan-'));
  it('an unknown worksheet decision names the file and the line', async () => {
    const text = readFileSync(WORKSHEET, 'utf8').replace(',Purchasing,EDI gateway,connector-certificate', ',Purchasing,EDI gateway,move to cloud');
    const file = join(dir, 'bad.csv');
    writeFileSync(file, text);
    const r = await run([...CONFIG, '--logs', LOGS, '--worksheet', file]);
    assert.equal(r.code, 2);
    assert.match(r.err, /^exrelay: .*bad\.csv:7: unknown decision "move to cloud" \(one of client-submission-oauth, .*keep-on-premises, or empty for the default\)\n$/);
  });
  for (const [egress, why] of [['10.20.60.11', /expected SENDER_IP=PUBLIC_IP/], ['10.20.60.11=not-an-ip', /expected SENDER_IP=PUBLIC_IP/],
    ['10.20.60.11=192.168.1.1', /192\.168\.1\.1 is not a public address/]] as const) {
    it(`--egress ${egress}`, async () => {
      const r = await run([...CONFIG, '--logs', LOGS, '--egress', egress]);
      assert.equal(r.code, 2);
      assert.match(r.err, why);
      assert.equal(r.err.split('\n').length, 2, r.err);
    });
  }
  for (const licences of ['0', '-3', '2.5', 'many']) {
    it(`--licences ${licences}`, async () => {
      const r = await run([...CONFIG, '--logs', LOGS, '--licences', licences]);
      assert.equal(r.code, 2);
      assert.match(r.err, /^exrelay: --licences .*: not a positive whole number of licences\n$/);
    });
  }
  it('cleans up', () => { rmSync(dir, { recursive: true, force: true }); });
});
