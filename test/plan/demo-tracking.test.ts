// The exit plan of the demo estate from its own logs: message tracking logs of all four servers
// (2010 and 2016) and protocol logs, no worksheet. Every row follows the contract's default
// decision table, recomputed here from the row's own figures, and senders that only the tracking
// logs saw are in the plan.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { captureIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import type { PlanDocument, PlanSender } from '../../src/model.js';
import { REPO_ROOT } from '../helpers/cli.js';

const ESTATE = join(REPO_ROOT, 'fixtures/estate-2010-2016');
const CONFIG = ['org', 'CMEX10A', 'CMEX10B', 'CMEX16A', 'CMEX16B'].map((d) => join(ESTATE, d));
// Two anonymous external senders behind one NAT address, one with its own public address.
const EGRESS = '10.20.60.10=203.0.113.80,10.30.5.5=203.0.113.90,10.20.60.11=203.0.113.90';

/** The contract's default decisions (CLI.md `plan`), first match wins. */
function expectedPath(s: PlanSender, limit: number, sharedEgress: ReadonlySet<string>): PlanSender['path'] {
  const busiest = s.maxExternalRecipientsPerDay ?? s.externalRecipientsPerDay;
  if (busiest > limit * 0.1) return 'azure-communication-services';
  if (s.authenticated) return 'client-submission-oauth';
  if (s.externalRecipientsPerDay === 0 && busiest === 0) return 'high-volume-email';
  return s.egressIp !== null && !sharedEgress.has(s.egressIp) ? 'connector-ip' : 'keep-on-premises';
}

describe('plan over the demo estate\'s tracking and protocol logs', () => {
  it('follows the default decision table on every row, tracking-only senders included', async () => {
    assert.ok(readdirSync(join(ESTATE, 'logs/tracking')).length > 0, 'the demo estate carries message tracking logs');
    const io = captureIo();
    const code = await main(['plan', ...CONFIG, '--logs', join(ESTATE, 'logs'), '--licences', '10', '--egress', EGRESS, '--as-of', '2026-12-07', '--format', 'json'], io);
    assert.equal(code, 0, io.err);
    const plan = JSON.parse(io.out) as PlanDocument;
    const limit = plan.tenantExternalRecipientLimit;
    assert.ok(typeof limit === 'number' && limit > 0);
    const byEgress = new Map<string, number>();
    for (const s of plan.senders) if (s.egressIp !== null) byEgress.set(s.egressIp, (byEgress.get(s.egressIp) ?? 0) + 1);
    const shared = new Set([...byEgress].filter(([, n]) => n > 1).map(([ip]) => ip));
    assert.ok(plan.senders.length >= 5, `${plan.senders.length} senders`);
    for (const s of plan.senders) {
      assert.equal(s.decidedBy, 'table', s.remoteIp);
      assert.equal(s.path, expectedPath(s, limit, shared), `${s.remoteIp}: ${s.reasons.join('; ')}`);
      if (s.path === 'keep-on-premises') assert.ok(s.blockers.some((b) => b.id === 'no-dedicated-egress'), `${s.remoteIp} names its blocker`);
    }
    const paths = new Set(plan.senders.map((s) => s.path));
    for (const p of ['high-volume-email', 'connector-ip', 'keep-on-premises'] as const) assert.ok(paths.has(p), `the demo shows ${p}`);
    // Senders of the 2010 relay connectors appear only in those servers' tracking logs: their
    // logon is judged from the connector's configuration, as the plan says in its reasons.
    assert.ok(plan.senders.some((s) => s.reasons.some((r) => /offers no logon/.test(r))), 'a sender known from the tracking logs alone');
  });
});
