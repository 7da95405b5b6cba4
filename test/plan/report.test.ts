// The risk report of the demo estate gains the exit plan per sender when `audit --logs` is given:
// the same senders and paths as `exrelay plan` on the same inputs, customer values escaped,
// redacted with the rest of the report under --redact.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { captureIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import { renderExitPlanSection } from '../../src/emitters/report/exit-plan.js';
import { PLAN_SCHEMA, type PlanDocument } from '../../src/model.js';
import { REPO_ROOT } from '../helpers/cli.js';

const DEMO = join(REPO_ROOT, 'fixtures/estate-2010-2016');
const LOGS = join(DEMO, 'logs');

async function run(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(args, io);
  return { code, out: io.out, err: io.err };
}

describe('the risk report\'s exit-plan section', async () => {
  const withLogs = await run(['audit', DEMO, '--format', 'html', '--logs', LOGS, '--as-of', '2026-12-07']);
  const planRun = await run(['plan', DEMO, '--logs', LOGS, '--format', 'json', '--as-of', '2026-12-07']);

  it('appears with --logs, linked from the contents, one row per sender of `exrelay plan`', () => {
    assert.equal(withLogs.code, 0, withLogs.err);
    assert.equal(planRun.code, 0, planRun.err);
    const plan = JSON.parse(planRun.out) as PlanDocument;
    assert.ok(plan.senders.length >= 5);
    assert.match(withLogs.out, /<a href="#exit-plan">Exit plan<\/a>/);
    assert.match(withLogs.out, /<section id="exit-plan"/);
    const rows = [...withLogs.out.matchAll(/<tr class="[^"]*" data-path="([a-z-]+)">\s*<td><span class="xp-mono">([^<]+)<\/span>/g)].map((m) => `${m[2]} ${m[1]}`);
    assert.deepEqual(rows, plan.senders.map((s) => `${s.remoteIp} ${s.path}`));
  });

  it('is absent without --logs', async () => {
    const r = await run(['audit', DEMO, '--format', 'html', '--as-of', '2026-12-07']);
    assert.equal(r.code, 0, r.err);
    assert.doesNotMatch(r.out, /exit-plan/);
  });

  it('is redacted with the rest of the report', async () => {
    const r = await run(['audit', DEMO, '--format', 'html', '--logs', LOGS, '--redact', '--as-of', '2026-12-07']);
    assert.equal(r.code, 0, r.err);
    const section = /<section id="exit-plan"[\s\S]*?<\/section>/.exec(r.out)?.[0] ?? '';
    assert.ok(section.length > 0);
    for (const raw of ['10.20.60.10', '10.30.5.5', 'contoso-parts.example', 'CMEX10A']) assert.ok(!section.includes(raw), raw);
  });

  it('keeps customer values as text', () => {
    const hostile: PlanDocument = {
      schema: PLAN_SCHEMA, target: 'm365', senders: [{
        remoteIp: '10.0.0.1', connector: 'EX\\<script>alert(1)</script>', server: 'EX', path: 'high-volume-email', reasons: ['{{x}}'],
        blockers: [{ id: 'sender-domain-not-accepted', text: '<img src=x onerror=alert(1)>' }], messagesPerDay: 1, externalRecipientsPerDay: 0,
        internalRecipientsPerDay: 1, authenticated: false, accounts: [], senderDomains: [], egressIp: null, owner: '<b>owner</b>', application: '', decidedBy: 'table',
      }],
    };
    const html = renderExitPlanSection(hostile);
    assert.ok(!html.includes('<script>') && !html.includes('<img') && !html.includes('<b>owner'));
    assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(html, /\{\{x\}\}/);
  });
});
