import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { tmpdir } from 'node:os';
import {
  commandElements,
  commandName,
  commandNodes,
  parsePowerShell,
  pipelineOf,
  powerShellParser,
} from '../../../src/powershell/grammar.js';

test('parsePowerShell reads a clean script without errors and finds its commands', async () => {
  const { tree, hasErrors, errors } = await parsePowerShell(
    "$n = 'A'\nif ($true) { New-ReceiveConnector -Name 'Relay ''A''' -Enabled:$false -Bindings '0.0.0.0:25' }\n",
  );
  assert.equal(hasErrors, false);
  assert.deepEqual(errors, []);
  const cmds = commandNodes(tree.rootNode);
  assert.deepEqual(cmds.map(commandName), ['New-ReceiveConnector']);
  const els = commandElements(cmds[0]!);
  assert.deepEqual(
    els.map((e) => (e.kind === 'parameter' ? `-${e.name}${e.colon ? ':' : ''}` : e.node.text)),
    ['-Name', "'Relay ''A'''", '-Enabled:', '$false', '-Bindings', "'0.0.0.0:25'"],
  );
});

test('parsePowerShell reports the grammar\'s rejection of an unquoted comma list with its line', async () => {
  const { hasErrors, errors } = await parsePowerShell("Get-Date\nSet-ReceiveConnector X -AuthMechanism Tls,BasicAuth\n");
  assert.equal(hasErrors, true);
  assert.equal(errors[0]?.line, 2);
});

test('pipelineOf returns every command of a pipeline', async () => {
  const { tree } = await parsePowerShell("Get-ReceiveConnector 'S\\R' | Add-ADPermission -User 'U' -ExtendedRights 'ms-Exch-SMTP-Submit'\n");
  const cmds = commandNodes(tree.rootNode);
  assert.equal(cmds.length, 2);
  assert.deepEqual(pipelineOf(cmds[1]!).map(commandName), ['Get-ReceiveConnector', 'Add-ADPermission']);
});

test('the grammar is loaded once per process and reused', async () => {
  const a = await powerShellParser();
  const b = await powerShellParser();
  assert.equal(a, b);
});

test('a process started elsewhere finds the grammar from the package, not the cwd', () => {
  const grammar = fileURLToPath(new URL('../../../src/powershell/grammar.ts', import.meta.url));
  const tsx = fileURLToPath(import.meta.resolve('tsx'));
  const r = spawnSync(process.execPath, ['--import', tsx, '--input-type=module', '-e',
    `const g = await import(${JSON.stringify(grammar)}); const p = await g.parsePowerShell("Get-ReceiveConnector"); if (p.hasErrors) process.exit(1);`],
  { encoding: 'utf8', cwd: tmpdir() });
  assert.equal(r.status, 0, r.stderr);
});

test('loading the grammar compiles it with Liftoff only: no TurboFan compilation (the ~6-10 s load cost)', () => {
  // V8 prints one line per compiled wasm function with the compiler it used. Without the flag the
  // grammar's largest function goes to TurboFan, which costs seconds of CPU and holds the exit.
  const grammar = fileURLToPath(new URL('../../../src/powershell/grammar.ts', import.meta.url));
  const tsx = fileURLToPath(import.meta.resolve('tsx'));
  const r = spawnSync(process.execPath, ['--trace-wasm-compilation-times', '--import', tsx, '--input-type=module', '-e',
    `const g = await import(${JSON.stringify(grammar)}); const p = await g.parsePowerShell("Get-ReceiveConnector -Identity 'A\\\\B'"); if (p.hasErrors) process.exit(1);`],
  { encoding: 'utf8', timeout: 60_000, maxBuffer: 64 * 1024 * 1024 });
  assert.equal(r.status, 0, r.stderr);
  // The grammar's parse-table function is the one with a body of hundreds of KB; small wasm
  // helpers of the test's own loader (tsx) may tier up and do not matter.
  const big = `${r.stdout}${r.stderr}`.split('\n')
    .filter((l) => l.includes('Compiled function') && Number(/bodysize (\d+)/.exec(l)?.[1] ?? 0) >= 100_000);
  assert.ok(big.some((l) => l.includes('using Liftoff')), 'the grammar was compiled');
  assert.deepEqual(big.filter((l) => l.includes('using TurboFan')), []);
});
