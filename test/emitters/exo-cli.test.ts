// emit exo from the command line: both files written, warnings on stderr, bad plans exit 2.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const SNAPSHOT = 'fixtures/migrate/estate-2010-2016.snapshot.json';

test('emit exo writes the script and the sheet beside it, and says what it wrote', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exrelay-exo-'));
  const out = join(dir, 'exo.ps1');
  const r = await runCli(['emit', 'exo', SNAPSHOT, '--plan', 'fixtures/plans/m365.plan.json', '--out', out]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stderr, /exrelay: wrote .*exo\.ps1 \(2 inbound connectors, 1 HVE accounts\) and .*exo-senders\.csv \(8 senders\)/);
  assert.ok(readFileSync(out, 'utf8').includes('New-InboundConnector'));
  assert.equal(readFileSync(join(dir, 'exo-senders.csv'), 'utf8').split('\r\n').length, 10);
});

test('emit exo: a plan that is not exrelay.plan/1 is exit 2, one line naming the file, nothing written', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'exrelay-exo-'));
  const plan = join(dir, 'plan.json');
  writeFileSync(plan, JSON.stringify({ schema: 'exrelay.plan/1', target: 'm365', senders: [{ remoteIp: '10.0.0.1', path: 'carrier-pigeon' }] }));
  const r = await runCli(['emit', 'exo', SNAPSHOT, '--plan', plan, '--out', join(dir, 'exo.ps1')]);
  assert.equal(r.exitCode, 2);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /plan\.json: senders\[0\]\.path: must be one of/);
  assert.ok(!existsSync(join(dir, 'exo.ps1')));
});
