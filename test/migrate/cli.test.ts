// exrelay migrate through the real launcher (build first: npx tsc -p tsconfig.build.json).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const FIXTURE = 'fixtures/migrate/estate-2010-2016.snapshot.json';
let dir = '';
before(async () => { dir = await mkdtemp(join(tmpdir(), 'exrelay-migrate-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

test('migrate writes the script (UTF-8 with BOM) and its rollback; warnings on stderr, exit 0', async () => {
  const out = join(dir, 'migrate.ps1');
  const rollback = join(dir, 'rollback.ps1');
  const r = await runCli(['migrate', FIXTURE, '--source-server', 'EX10', '--target-server', 'EX16', '--out', out, '--rollback', rollback]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^exrelay: warning: left out: EX10\\Scanner EX10: binds 10\.0\.0\.10:25/m);
  const bytes = await readFile(out);
  assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  const text = bytes.toString('utf8');
  assert.match(text, /New-ReceiveConnector -Name 'Relay EX16' -Server 'EX16' -TransportRole 'FrontendTransport' -Custom/);
  assert.match(text, /# Undo with the rollback script: .*rollback\.ps1/);
  assert.match(await readFile(rollback, 'utf8'), /Remove-ReceiveConnector -Identity 'EX16\\Relay EX16' -Confirm:\$false -ErrorAction Stop -WhatIf:\$WhatIf/);
});

test('migrate --target-version 2019 from a 2010 source names the 2016 step (2010 does not coexist with 2019)', async () => {
  const r = await runCli(['migrate', FIXTURE, '--source-server', 'EX10', '--target-server', 'EX16', '--target-version', '2019']);
  assert.equal(r.exitCode, 2);
  assert.deepEqual(r.stderr.trimEnd().split('\n'), [
    'exrelay: EX10 is Exchange 2010, which cannot coexist with Exchange 2019: migrate it to an Exchange 2016 server first (--target-version 2016), then from 2016 to Exchange 2019',
  ]);
  assert.equal(r.stdout, '');
});

test('migrate --target-version se: Subscription Edition in the header; from a 2010 source it names the 2016 step', async () => {
  const fromTwentyTen = await runCli(['migrate', FIXTURE, '--source-server', 'EX10', '--target-server', 'EX16', '--target-version', 'se']);
  assert.equal(fromTwentyTen.exitCode, 2);
  assert.deepEqual(fromTwentyTen.stderr.trimEnd().split('\n'), [
    'exrelay: EX10 is Exchange 2010, which cannot coexist with Exchange Server Subscription Edition: migrate it to an Exchange 2016 server first (--target-version 2016), then from 2016 to Exchange Server Subscription Edition',
  ]);
});

test('migrate: an unknown server is bad usage (exit 2, one line, no stack)', async () => {
  const r = await runCli(['migrate', FIXTURE, '--source-server', 'NOPE', '--target-server', 'EX16']);
  assert.equal(r.exitCode, 2);
  assert.deepEqual(r.stderr.trimEnd().split('\n'), ['exrelay: --source-server NOPE: no such server in the input (servers: EX10, EX16)']);
});

test('migrate: a bad --target-version and a missing --target-server are bad usage', async () => {
  const a = await runCli(['migrate', FIXTURE, '--source-server', 'EX10', '--target-server', 'EX16', '--target-version', '2013']);
  assert.equal(a.exitCode, 2);
  const b = await runCli(['migrate', FIXTURE, '--source-server', 'EX10']);
  assert.equal(b.exitCode, 2);
  assert.match(b.stderr, /--target-server/);
});

test('migrate --help describes every option', async () => {
  const r = await runCli(['migrate', '--help']);
  assert.equal(r.exitCode, 0);
  for (const opt of ['--source-server', '--target-server', '--target-version', '--out', '--rollback', '--carry', '--map-address']) assert.match(r.stdout, new RegExp(opt));
});
