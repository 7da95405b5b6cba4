// `exrelay audit` end to end: spawns bin/exrelay (build first) on fixtures/defaults and fixtures/audit.
import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const OPEN = 'fixtures/audit/open-relay-2016.json';
const HIGH = 'fixtures/audit/high-only-2016.json';
const tmp = mkdtempSync(join(tmpdir(), 'exrelay-audit-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

const oneLine = (stderr: string) => stderr.trimEnd().split('\n');
// Counts below are about connector configuration: pinned to a day when every version in the
// fixtures was still supported, so the lifecycle rule (tested on its own below) adds nothing.
const ALL_SUPPORTED = ['--as-of', '2020-06-01'];

describe('exrelay audit', () => {
  it('--as-of pins the audit date of the lifecycle rule (2016: supported, in ESU period 1, after it)', async () => {
    const lifecycle = async (day: string) => {
      const r = await runCli(['audit', 'fixtures/defaults/exchange-2016.json', '--only', 'unsupported-exchange-version', '--format', 'json', '--as-of', day]);
      assert.equal(r.exitCode, 0, r.stderr);
      return (JSON.parse(r.stdout) as { findings: Array<{ severity: string; evidence: Record<string, unknown> }> }).findings;
    };
    assert.deepEqual(await lifecycle('2025-10-14'), []);
    const inEsu = await lifecycle('2025-12-01');
    assert.deepEqual(inEsu.map((f) => [f.severity, f.evidence.endOfSupport, f.evidence.asOf]), [['high', '2025-10-14', '2025-12-01']]);
    assert.match(String(inEsu[0]?.evidence.extendedSecurityUpdates), /period 1, which ends on 2026-04-14/);
    assert.equal((await lifecycle('2026-11-30'))[0]?.evidence.extendedSecurityUpdates, null);
  });

  it('--as-of refuses a date that is not YYYY-MM-DD or does not exist, with one line and exit 2', async () => {
    for (const bad of ['2026-02-30', '1/6/2026', 'tomorrow']) {
      const r = await runCli(['audit', 'fixtures/defaults/exchange-2016.json', '--as-of', bad]);
      assert.equal(r.exitCode, 2, bad);
      assert.equal(oneLine(r.stderr).length, 1, r.stderr);
      assert.match(r.stderr, /--as-of.*YYYY-MM-DD/);
    }
  });

  it('audits each untouched default install clean (exit 0 even with --fail-on low)', async () => {
    for (const v of ['2010', '2013', '2016', '2019']) {
      const r = await runCli(['audit', `fixtures/defaults/exchange-${v}.json`, '--fail-on', 'low', '--load-balancers', '10.0.0.200', ...ALL_SUPPORTED]);
      assert.equal(r.exitCode, 0, `${v}: ${r.stdout}${r.stderr}`);
      assert.match(r.stdout, /0 findings/);
      assert.match(r.stdout, /No findings\./);
    }
  });

  it('text output groups by severity and connector, and says which checks could not run', async () => {
    const r = await runCli(['audit', OPEN, ...ALL_SUPPORTED]);
    assert.equal(r.exitCode, 0);
    assert.match(r.stdout, /^exrelay audit — \d+ findings: 1 critical, 1 high/);
    assert.match(r.stdout, /\nCRITICAL \(1\)\n {2}EX01\\Relay EX01\n {4}\[anonymous-open-relay\]/);
    assert.match(r.stdout, /203\.0\.112\.0\/23/);
    // No logs: the hosts that must keep relaying are unknown, so no script is shown (rules.md "Fixes").
    assert.match(r.stdout, /\n {6}manual: [^\n]*\n/);
    assert.doesNotMatch(r.stdout, /10\.0\.0\.25|<ranges>/);
    assert.match(r.stdout, /NOT RUN \(1\)[^\n]*\n {2}load-balancer-in-relay-range\n {4}missing: load balancer addresses\n {4}enable with: --load-balancers/);
  });

  it('--format json writes exrelay.findings/1', async () => {
    const r = await runCli(['audit', OPEN, '--format', 'json']);
    assert.equal(r.exitCode, 0);
    const doc = JSON.parse(r.stdout) as { schema: string; summary: Record<string, number>; findings: Array<{ rule: string; connector: string | null; evidence: Record<string, unknown> }> };
    assert.equal(doc.schema, 'exrelay.findings/1');
    assert.deepEqual(Object.keys(doc), ['schema', 'summary', 'findings', 'notRun']);
    assert.equal(doc.summary.critical, 1);
    const relay = doc.findings.find((f) => f.rule === 'anonymous-open-relay');
    assert.deepEqual(relay?.evidence.publicRanges, [{ expression: '203.0.112.0/23', first: '203.0.112.0', last: '203.0.113.255' }]);
  });

  it('--fail-on gates on the worst active finding', async () => {
    assert.equal((await runCli(['audit', OPEN, '--fail-on', 'critical'])).exitCode, 1);
    assert.equal((await runCli(['audit', HIGH, '--fail-on', 'critical'])).exitCode, 0);
    assert.equal((await runCli(['audit', HIGH, '--fail-on', 'high'])).exitCode, 1);
  });

  it('--only and --skip choose rules; an unknown rule is bad usage', async () => {
    const only = await runCli(['audit', OPEN, '--format', 'json', '--only', 'basic-auth-without-tls']);
    assert.deepEqual((JSON.parse(only.stdout) as { findings: Array<{ rule: string }> }).findings.map((f) => f.rule), ['basic-auth-without-tls']);
    const skip = await runCli(['audit', OPEN, '--format', 'json', '--skip', 'anonymous-open-relay,basic-auth-without-tls']);
    const rules = (JSON.parse(skip.stdout) as { findings: Array<{ rule: string }> }).findings.map((f) => f.rule);
    assert.ok(!rules.includes('anonymous-open-relay') && !rules.includes('basic-auth-without-tls') && rules.length > 0);
    const bad = await runCli(['audit', OPEN, '--only', 'open-relay']);
    assert.equal(bad.exitCode, 2);
    assert.equal(oneLine(bad.stderr).length, 1, bad.stderr);
    assert.match(bad.stderr, /^exrelay: --only open-relay: no such rule in the rule catalogue \(rules: [^)]*anonymous-open-relay/);
  });

  it('suppressions: accepted risks listed, not counted, not gated; expired ones said to be expired', async () => {
    const r = await runCli(['audit', OPEN, '--suppress', 'fixtures/audit/suppressions.yaml', '--format', 'json', '--fail-on', 'critical']);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { summary: Record<string, number>; findings: Array<{ rule: string; message: string }>; accepted: Array<{ finding: { rule: string }; reason: string; expires: string }> };
    assert.equal(doc.summary.critical, 0);
    assert.deepEqual(doc.accepted.map((a) => [a.finding.rule, a.expires]), [['anonymous-open-relay', '2099-01-31']]);
    assert.match(doc.findings.find((f) => f.rule === 'protocol-logging-disabled')?.message ?? '', /accepted risk expired 2020-01-01/);
    assert.match(r.stderr, /warning: fixtures\/audit\/suppressions\.yaml: suppression of protocol-logging-disabled on \* expired on 2020-01-01/);
    const text = await runCli(['audit', OPEN, '--suppress', 'fixtures/audit/suppressions.yaml']);
    assert.match(text.stdout, /ACCEPTED RISKS \(1\)[^\n]*\n {2}critical +\[anonymous-open-relay\] EX01\\Relay EX01 — until 2099-01-31: partner scanner range/);
  });

  it('a bad suppressions file is bad input naming file and line', async () => {
    const file = join(tmp, 'bad.yaml');
    writeFileSync(file, '- rule: anonymous-open-relay\n  connector: x\n  reason: r\n  expires: 2099-01-01\n- rule: nope\n  reason: r\n  expires: 2099-01-01\n');
    const r = await runCli(['audit', OPEN, '--suppress', file]);
    assert.equal(r.exitCode, 2);
    assert.deepEqual(oneLine(r.stderr), [`exrelay: ${file}:5: unknown rule "nope"`]);
  });

  it('--format csv neutralises spreadsheet formulas and lists accepted and not-run rows', async () => {
    const r = await runCli(['audit', OPEN, '--format', 'csv', '--suppress', 'fixtures/audit/suppressions.yaml']);
    assert.equal(r.exitCode, 0);
    const lines = r.stdout.split('\r\n');
    assert.equal(lines[0], 'status,severity,rule,server,connector,title,message,evidence,remediation,references,acceptedReason,acceptedUntil,fix,fixVerified,manual');
    const injected = lines.find((l) => l.includes('basic-auth-without-tls')) ?? '';
    assert.match(injected, /,"EX01\\=HYPERLINK\(""http:\/\/evil\.example"",""x""\)",/);
    // The connector cell starts with EX01, the message cell too; no cell starts with a formula character.
    for (const line of lines.slice(1)) {
      for (const cell of line.split(',')) assert.doesNotMatch(cell, /^"?[=+\-@]/, line);
    }
    assert.ok(lines.some((l) => l.startsWith('accepted,critical,anonymous-open-relay,')));
    // Customer text that starts a cell: the suppression reason.
    const sup = join(tmp, 'formula.yaml');
    writeFileSync(sup, '- rule: anonymous-open-relay\n  connector: EX01\\Relay EX01\n  reason: "=1+1 approved by CISO"\n  expires: 2099-01-01\n');
    const f = await runCli(['audit', OPEN, '--format', 'csv', '--suppress', sup]);
    const accepted = f.stdout.split('\r\n').find((l) => l.startsWith('accepted,')) ?? '';
    assert.match(accepted, /,'=1\+1 approved by CISO,2099-01-01,/);
    assert.ok(lines.some((l) => l.startsWith('not-run,,load-balancer-in-relay-range,')));
  });

  it('--out writes the file, nothing to stdout, and says where on stderr', async () => {
    const out = join(tmp, 'findings.json');
    const r = await runCli(['audit', OPEN, '--format', 'json', '--out', out]);
    assert.equal(r.exitCode, 0);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, new RegExp(`^exrelay: wrote ${out.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} \\(\\d+ findings: \\d+ critical, \\d+ high, \\d+ medium, \\d+ low, \\d+ info\\)$`, 'm'));
    assert.equal((JSON.parse(readFileSync(out, 'utf8')) as { schema: string }).schema, 'exrelay.findings/1');
  });
});
