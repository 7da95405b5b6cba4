// exrelay apply through the real launcher (build first: npx tsc -p tsconfig.build.json).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli.js';

const TARGET = 'fixtures/apply/ex16.snapshot.json';
let dir = '';
before(async () => { dir = await mkdtemp(join(tmpdir(), 'exrelay-apply-')); });
after(async () => { await rm(dir, { recursive: true, force: true }); });

async function script(name: string, text: string, encoding: 'utf8' | 'utf16le' = 'utf8'): Promise<string> {
  const file = join(dir, name);
  const bom = encoding === 'utf16le' ? Buffer.from([0xff, 0xfe]) : Buffer.alloc(0);
  await writeFile(file, Buffer.concat([bom, Buffer.from(text, encoding)]));
  return file;
}

test('apply writes the resulting snapshot; applying it again changes nothing (byte for byte)', async () => {
  const migration = join(dir, 'm.ps1');
  const m = await runCli(['migrate', 'fixtures/migrate/estate-2010-2016.snapshot.json', '--source-server', 'EX10', '--target-server', 'EX16', '--out', migration]);
  assert.equal(m.exitCode, 0, m.stderr);
  const first = join(dir, 'after.json');
  const a = await runCli(['apply', 'fixtures/migrate/estate-2010-2016.snapshot.json', '--script', migration, '--out', first]);
  assert.equal(a.exitCode, 0, a.stderr);
  const doc = JSON.parse(await readFile(first, 'utf8')) as { schema: string; connectors: Array<{ identity: string }> };
  assert.equal(doc.schema, 'exrelay.snapshot/1');
  assert.ok(doc.connectors.some((c) => c.identity === 'EX16\\Bulk EX16'));
  const b = await runCli(['apply', first, '--script', migration]);
  assert.equal(b.exitCode, 0, b.stderr);
  assert.equal(b.stdout, await readFile(first, 'utf8'));
});

test('apply reads a UTF-16LE script (Windows PowerShell\'s Out-File)', async () => {
  const file = await script('u16.ps1', "New-AcceptedDomain -Name Zürich -DomainName zürich.example -DomainType InternalRelay\r\n", 'utf16le');
  const r = await runCli(['apply', TARGET, '--script', file]);
  assert.equal(r.exitCode, 0, r.stderr);
  assert.match(r.stdout, /"domainName": "zürich\.example"/);
});

test('a refused statement: exit 2 and one line naming the script and the line', async () => {
  const file = await script('conflict.ps1', [
    '# two connectors whose ranges partly overlap',
    "New-ReceiveConnector -Name A -Server EX16 -TransportRole FrontendTransport -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 10.0.0.0/24",
    "New-ReceiveConnector -Name B -Server EX16 -TransportRole FrontendTransport -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 10.0.0.128-10.0.1.10",
  ].join('\n'));
  const r = await runCli(['apply', TARGET, '--script', file]);
  assert.equal(r.exitCode, 2);
  assert.equal(r.stdout, '');
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1);
  assert.match(lines[0]!, /^exrelay: .*conflict\.ps1:3: New-ReceiveConnector: remote range 10\.0\.0\.128-10\.0\.1\.10 .*\(partially overlapping ranges\)$/);
});

test('an unknown statement: exit 2 naming its line; --skip-unknown applies the rest and warns', async () => {
  const file = await script('unknown.ps1', "Set-ReceiveConnector 'EX16\\Default Frontend EX16' -Banner '220 hello'\nInvoke-Expression 'x'\n");
  const r = await runCli(['apply', TARGET, '--script', file]);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr, /unknown\.ps1:2: cannot interpret this statement \(Invoke-Expression is not a command the dry run knows\)/);
  const s = await runCli(['apply', TARGET, '--script', file, '--skip-unknown']);
  assert.equal(s.exitCode, 0, s.stderr);
  assert.match(s.stderr, /^exrelay: warning: .*unknown\.ps1:2: skipped/m);
  assert.match(s.stdout, /"banner": "220 hello"/);
});

test('a missing script is bad input (exit 2, one line)', async () => {
  const r = await runCli(['apply', TARGET, '--script', join(dir, 'nope.ps1')]);
  assert.equal(r.exitCode, 2);
  assert.match(r.stderr.trimEnd(), /^exrelay: .*nope\.ps1: cannot read: no such file or directory$/);
});

test('apply --help describes every option', async () => {
  const r = await runCli(['apply', '--help']);
  assert.equal(r.exitCode, 0);
  for (const opt of ['--script', '--out', '--skip-unknown']) assert.match(r.stdout, new RegExp(opt));
});
