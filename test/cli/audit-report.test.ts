// `exrelay audit` end to end, the report side (html, --replay, --redact) and the input edges:
// spawns bin/exrelay (build first). Kept apart from audit.test.ts so that each file of CLI
// runs stays well inside the per-file test timeout on a loaded machine.
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

describe('exrelay audit: report, redaction and input edges', () => {
  it('--format html writes the self-contained risk report', async () => {
    const r = await runCli(['audit', OPEN, '--format', 'html']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /^<!DOCTYPE html>/i);
    assert.match(r.stdout, /anonymous-open-relay/);
  });

  it('--format html with --replay shows the before/after of a replay comparison, redacted too', async () => {
    const args = ['audit', 'fixtures/audit/relay-estate-after.snapshot.json', '--format', 'html', '--replay', 'fixtures/audit/replay-compare.json'];
    const r = await runCli(args);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.match(r.stdout, /Before \/ after/);
    assert.match(r.stdout, /printer to outside/); // the scenario whose outcome changed
    const red = await runCli([...args, '--redact']);
    assert.equal(red.exitCode, 0, red.stderr);
    assert.match(red.stdout, /Before \/ after/);
    assert.doesNotMatch(red.stdout, /corp\.example/);
    const bad = await runCli(['audit', OPEN, '--format', 'html', '--replay', OPEN]);
    assert.equal(bad.exitCode, 2);
    assert.equal(oneLine(bad.stderr).length, 1, bad.stderr);
  });

  it('--redact applies to every format', async () => {
    for (const format of ['text', 'json', 'csv', 'html']) {
      const r = await runCli(['audit', OPEN, '--format', format, '--redact']);
      assert.equal(r.exitCode, 0, `${format}: ${r.stderr}`);
      assert.doesNotMatch(r.stdout, /corp\.example|203\.0\.113\.|10\.1\.1\.5/, format);
    }
  });

  it('--replay is only for the html report; bad inputs are exit 2 with one line', async () => {
    const r = await runCli(['audit', OPEN, '--replay', 'x.json']);
    assert.equal(r.exitCode, 2);
    assert.deepEqual(oneLine(r.stderr), ['exrelay: --replay only applies to --format html']);
    const missing = await runCli(['audit', 'no/such/file.json']);
    assert.equal(missing.exitCode, 2);
    assert.equal(oneLine(missing.stderr).length, 1);
    assert.doesNotMatch(missing.stderr, /\n\s+at /);
    const badIp = await runCli(['audit', OPEN, '--load-balancers', '10.0.0.300']);
    assert.equal(badIp.exitCode, 2);
  });

  it('a remote range the engine cannot read is a warning, not a silent gap', async () => {
    const snap = JSON.parse(readFileSync(HIGH, 'utf8')) as { connectors: Array<{ identity: string; remoteIPRanges: unknown[] }> };
    snap.connectors.find((c) => c.identity === 'EX01\\Apps')?.remoteIPRanges.push({ expression: '10.9.9.300', first: '10.9.9.300', last: '10.9.9.300' });
    const file = join(tmp, 'bad-range.json');
    writeFileSync(file, JSON.stringify(snap));
    const r = await runCli(['audit', file, '--format', 'json']);
    assert.equal(r.exitCode, 0);
    assert.match(r.stderr, /warning: EX01\\Apps: remote range "10\.9\.9\.300" is not an address range; ignored/);
  });

  it('--help describes every option', async () => {
    const r = await runCli(['audit', '--help']);
    assert.equal(r.exitCode, 0);
    for (const o of ['--format', '--out', '--fail-on', '--exchange-servers', '--load-balancers', '--only', '--skip', '--suppress', '--redact', '--replay']) {
      assert.match(r.stdout, new RegExp(`${o}[^\\n]*\\s{2,}\\S`), o);
    }
  });
});
