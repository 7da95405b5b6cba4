// `reportUnchanged: false` (what the fix proofs ask) skips telling unchanged commands apart and
// nothing else: the configuration after the script is the same, and a command that changed
// nothing is then reported as `changed`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Snapshot } from '../../src/model.js';
import { applyScript } from '../../src/apply/apply.js';

const BASE = JSON.parse(readFileSync(new URL('../../fixtures/apply/ex16.snapshot.json', import.meta.url), 'utf8')) as Snapshot;
const SCRIPT = [
  "Set-ReceiveConnector 'EX16\\Client Frontend EX16' -ProtocolLoggingLevel Verbose",
  "Set-ReceiveConnector 'EX16\\Client Frontend EX16' -ProtocolLoggingLevel Verbose",
  "Set-ReceiveConnector 'EX16\\Default EX16' -ProtocolLoggingLevel Verbose",
].join('\n');

test('the same configuration either way; only the unchanged command is reported differently', async () => {
  const told = await applyScript(BASE, SCRIPT, { file: 'fix.ps1' });
  const quick = await applyScript(BASE, SCRIPT, { file: 'fix.ps1', reportUnchanged: false });
  assert.deepEqual(quick.snapshot, told.snapshot);
  assert.deepEqual(told.events.map((e) => e.kind), ['changed', 'unchanged', 'changed']);
  assert.deepEqual(quick.events.map((e) => e.kind), ['changed', 'changed', 'changed']);
});
