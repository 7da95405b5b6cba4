// The README's "discover" row walked with the bundled demo estate: the committed logs
// (fixtures/estate-2010-2016/logs) are what scripts/generate-demo-logs.ts writes, and
// `exrelay logs` gives every device its messages and the connector it really reached.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import type { LogsDocument } from '../../src/logs/aggregate.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const LOGS = join(REPO_ROOT, 'fixtures/estate-2010-2016/logs');

function files(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      if (e.isDirectory()) walk(join(d, e.name)); else out.push(join(d, e.name));
    }
  };
  walk(dir);
  return out.map((f) => relative(dir, f)).sort();
}

describe('demo estate logs', () => {
  it('are exactly what the generator script writes (deterministic)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'exrelay-demo-logs-'));
    try {
      const r = spawnSync(process.execPath, ['--import', 'tsx', join(REPO_ROOT, 'scripts/generate-demo-logs.ts'), dir], { encoding: 'utf8' });
      assert.equal(r.status, 0, r.stderr);
      assert.deepEqual(files(dir), files(LOGS));
      for (const f of files(LOGS).filter((x) => !x.endsWith('.gz'))) assert.ok(readFileSync(join(dir, f)).equals(readFileSync(join(LOGS, f))), f);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('exrelay logs LOGS --config ESTATE: each device, its messages and the connector it reached', async () => {
    const r = await runCli(['logs', 'fixtures/estate-2010-2016/logs', '--config', 'fixtures/estate-2010-2016', '--format', 'json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as LogsDocument;
    const rows = doc.senders.map((s) => `${s.connector} | ${s.remoteIp} | ${s.messages} | ${s.sessions} | ${s.seenIn.join('+')} | ${s.externalRecipients ?? ''}`);
    assert.deepEqual(rows, [
      'CMEX10A\\App Relay CMEX10A | 10.20.60.10 | 48 | 48 | protocol+tracking | 48',
      'CMEX10A\\Relay Printers CMEX10A | 10.20.40.21 | 24 | 0 | tracking | 0',
      'CMEX10A\\Relay Printers CMEX10A | 10.20.41.15 | 8 | 0 | tracking | 0',
      'CMEX10A\\SMTP Relay - Allow All CMEX10A | 10.30.5.5 | 36 | 0 | tracking | 36',
      'CMEX10B\\Relay Printers CMEX10B | 10.20.44.7 | 2 | 0 | tracking | 0',
      'CMEX16A\\Partner Fabrikam Logistics CMEX16A | 198.51.100.20 | 10 | 10 | protocol+tracking | 0',
      'CMEX16A\\Relay Printers CMEX16A | 10.20.40.22 | 16 | 16 | protocol+tracking | 0',
      'CMEX16B\\App Relay CMEX16B | 10.20.60.11 | 25 | 25 | protocol+tracking | 25',
      'CMEX16B\\Default Frontend CMEX16B | 203.0.113.50 | 4 | 4 | protocol+tracking | 0',
    ]);
    assert.equal(doc.trackingFiles, 28);
  });
});
