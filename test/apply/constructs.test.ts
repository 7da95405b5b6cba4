// The PowerShell consultants write around the Exchange cmdlets: splatting, the read-modify-write
// of RemoteIPRanges from Microsoft's docs, foreach and ForEach-Object over literal arrays. Each
// with should-interpret and should-refuse rows; refusals name the line.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import type { ReceiveConnector, Snapshot } from '../../src/model.js';
import { applyScript, type ApplyResult } from '../../src/apply/apply.js';

const BASE = JSON.parse(readFileSync(new URL('../../fixtures/apply/ex16.snapshot.json', import.meta.url), 'utf8')) as Snapshot;
const NEW_RELAY = "New-ReceiveConnector -Name 'Relay' -Server EX16 -TransportRole FrontendTransport -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 10.0.0.6,10.0.0.7";

const run = (script: string, snapshot: Snapshot = BASE): Promise<ApplyResult> => applyScript(snapshot, script, { file: 'change.ps1' });
const relay = (r: ApplyResult): ReceiveConnector => {
  const c = r.snapshot.connectors.find((x) => x.name === 'Relay');
  assert.ok(c !== undefined);
  return c;
};
const ranges = (r: ApplyResult): string[] => relay(r).remoteIPRanges.map((x) => x.expression);

async function refusedAt(script: string, line: number, pattern: RegExp): Promise<void> {
  await assert.rejects(run(script), (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.line, line, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

// ---- splatting -------------------------------------------------------------------------------

const SPLAT_INTERPRET: Array<[string, string[]]> = [
  ["$p = @{ Identity = 'Relay'; RemoteIPRanges = '10.0.0.1' }\nSet-ReceiveConnector @p", ['10.0.0.1']],
  ["$p = @{ Identity = 'Relay'; RemoteIPRanges = '10.0.0.1','10.0.0.2' }\nSet-ReceiveConnector @p", ['10.0.0.1', '10.0.0.2']],
  ["$p = @{\n  Identity       = 'EX16\\Relay'\n  RemoteIPRanges = @{ Add = '10.0.0.8'; Remove = '10.0.0.6' }\n}\nSet-ReceiveConnector @p -Confirm:$false", ['10.0.0.7', '10.0.0.8']],
  ["$p = @{ RemoteIPRanges = @('10.0.1.0/24') ; Confirm = $false }\nSet-ReceiveConnector 'Relay' @p", ['10.0.1.0/24']],
  ["$p = @{ Identity = 'Relay'; RemoteIPRanges = '10.0.0.1'; WhatIf = $true }\nSet-ReceiveConnector @p", ['10.0.0.6', '10.0.0.7']],
  ["$p = @{ Identity = 'Relay'; RemoteIPRanges = '10.0.0.1'; WhatIf = $false }\nSet-ReceiveConnector @p", ['10.0.0.1']],
  ["$p = @{ Identity = 'Relay' }\n$p.RemoteIPRanges = '10.0.0.9'\nSet-ReceiveConnector @p", ['10.0.0.9']],
];

test('should-interpret: splatting binds each key as a parameter (nested @{Add/Remove}, arrays, switches)', async () => {
  for (const [script, expected] of SPLAT_INTERPRET) {
    assert.deepEqual(ranges(await run(`${NEW_RELAY}\n${script}`)), expected, script);
  }
});

test('splatting New-ReceiveConnector as Microsoft-style scripts do', async () => {
  const r = await run([
    '$relay = @{',
    "  Name           = 'Relay'",
    "  Server         = 'EX16'",
    "  TransportRole  = 'FrontendTransport'",
    '  Custom         = $true',
    "  Bindings       = '0.0.0.0:25'",
    "  RemoteIPRanges = '192.168.5.10', '192.168.5.11'",
    "  PermissionGroups = 'AnonymousUsers'",
    '}',
    'New-ReceiveConnector @relay',
  ].join('\n'));
  assert.deepEqual([ranges(r), relay(r).permissionGroups], [['192.168.5.10', '192.168.5.11'], ['AnonymousUsers']]);
});

test('should-refuse: splatting errors as PowerShell reports them, with the line', async () => {
  await refusedAt(`${NEW_RELAY}\n$p = @{ Identity = 'Relay'; RemoteIPRange = '10.0.0.1'; Colour = 'blue' }\nSet-ReceiveConnector @p`, 3, /parameter name 'colour' \(splatted from @p\)/i);
  await refusedAt(`${NEW_RELAY}\n$p = @{ Identity = 'Relay'; RemoteIPRanges = '10.0.0.1' }\nSet-ReceiveConnector @p -RemoteIPRanges 10.0.0.2`, 3, /'RemoteIPRanges' is specified more than once/);
  await refusedAt(`${NEW_RELAY}\nSet-ReceiveConnector @missing`, 2, /cannot interpret .*@missing is not assigned/);
  await refusedAt(`${NEW_RELAY}\n$a = 'Relay', '-Banner'\nSet-ReceiveConnector @a`, 3, /cannot interpret .*splats an array/);
  await refusedAt(`${NEW_RELAY}\n$p = @{ Identity = 'Relay'; RemoteIPRanges = '10.0.0.300' }\nSet-ReceiveConnector @p`, 3, /Set-ReceiveConnector: /);
});

// ---- $c.RemoteIPRanges += … (Microsoft's documented read-modify-write) ------------------------

test('should-interpret: Microsoft\'s pattern: read the connector, += the ranges, write them back', async () => {
  const r = await run([
    NEW_RELAY,
    "$RecvConn = Get-ReceiveConnector 'Relay'",
    "$RecvConn.RemoteIPRanges += '10.0.0.5', '10.0.1.0/24'",
    "Set-ReceiveConnector 'Relay' -RemoteIPRanges $RecvConn.RemoteIPRanges",
  ].join('\n'));
  assert.deepEqual(ranges(r), ['10.0.0.6', '10.0.0.7', '10.0.0.5', '10.0.1.0/24']);
});

const READ_MODIFY_WRITE: Array<[string, string[]]> = [
  // .Add on the collection Exchange handed over grows it.
  ["$c = Get-ReceiveConnector 'EX16\\Relay'\n$c.RemoteIPRanges.Add('10.0.0.5')\nSet-ReceiveConnector 'Relay' -RemoteIPRanges $c.RemoteIPRanges", ['10.0.0.6', '10.0.0.7', '10.0.0.5']],
  // Until Set runs, the copy is only a copy: the connector is unchanged.
  ["$c = Get-ReceiveConnector 'Relay'\n$c.RemoteIPRanges += '10.0.0.5'", ['10.0.0.6', '10.0.0.7']],
  // A plain variable list and one-liners.
  ["$ranges = (Get-ReceiveConnector 'Relay').RemoteIPRanges\n$ranges += '10.0.0.5'\nSet-ReceiveConnector 'Relay' -RemoteIPRanges $ranges", ['10.0.0.6', '10.0.0.7', '10.0.0.5']],
  ["Set-ReceiveConnector 'Relay' -RemoteIPRanges ((Get-ReceiveConnector 'Relay').RemoteIPRanges + '10.0.0.5')", ['10.0.0.6', '10.0.0.7', '10.0.0.5']],
  // Filtering the list is the way to remove with a plain list.
  ["$c = Get-ReceiveConnector 'Relay'\nSet-ReceiveConnector 'Relay' -RemoteIPRanges ($c.RemoteIPRanges -notlike '10.0.0.6')", ['10.0.0.7']],
  ["$c = Get-ReceiveConnector 'Relay'\n$keep = $c.RemoteIPRanges | Where-Object { $_ -notlike '10.0.0.6' }\nSet-ReceiveConnector 'Relay' -RemoteIPRanges $keep", ['10.0.0.7']],
];

test('should-interpret: read-modify-write variants', async () => {
  for (const [script, expected] of READ_MODIFY_WRITE) {
    assert.deepEqual(ranges(await run(`${NEW_RELAY}\n${script}`)), expected, script);
  }
});

test('should-refuse: -= on the collection fails in PowerShell (no op_Subtraction), naming the line', async () => {
  await refusedAt([
    NEW_RELAY,
    "$c = Get-ReceiveConnector 'Relay'",
    "$c.RemoteIPRanges -= '10.0.0.6'",
    "Set-ReceiveConnector 'Relay' -RemoteIPRanges $c.RemoteIPRanges",
  ].join('\n'), 3, /op_Subtraction.*@\{Remove=/);
});

test('should-refuse: .Add on an array the script built fails as "Collection was of a fixed size"', async () => {
  await refusedAt(`${NEW_RELAY}\n$r = @('10.0.0.1')\n$r.Add('10.0.0.2')`, 3, /fixed size/);
});

test('should-refuse (not interpretable): .Remove() and properties the model does not hold', async () => {
  await refusedAt(`${NEW_RELAY}\n$c = Get-ReceiveConnector 'Relay'\n$c.RemoteIPRanges.Remove('10.0.0.6')`, 3, /cannot interpret .*Remove\(\)/);
  await refusedAt(`${NEW_RELAY}\n$c = Get-ReceiveConnector 'Relay'\nSet-ReceiveConnector 'Relay' -MaxInboundConnection $c.MaxInboundConnection`, 3, /cannot interpret .*ReceiveConnector\.MaxInboundConnection/);
  await refusedAt(`${NEW_RELAY}\n$c = Get-ReceiveConnector 'Relay'\nif ($c.RemoteIPRanges -contains '10.0.0.6') { Write-Host 'x' }`, 3, /cannot interpret .*IPRange/);
});

// ---- foreach and ForEach-Object over literal arrays ----------------------------------------------

const LOOPS: Array<[string, string[]]> = [
  ["foreach ($ip in @('10.0.0.1','10.0.0.2')) {\n  Set-ReceiveConnector 'Relay' -RemoteIPRanges @{Add=$ip}\n}", ['10.0.0.6', '10.0.0.7', '10.0.0.1', '10.0.0.2']],
  ["foreach ($ip in '10.0.0.1', '10.0.0.2') { Set-ReceiveConnector 'Relay' -RemoteIPRanges @{Add=\"$ip\"} }", ['10.0.0.6', '10.0.0.7', '10.0.0.1', '10.0.0.2']],
  ["'10.0.0.1','10.0.0.2' | ForEach-Object { Set-ReceiveConnector 'Relay' -RemoteIPRanges @{Add=$_} }", ['10.0.0.6', '10.0.0.7', '10.0.0.1', '10.0.0.2']],
  ["@('10.0.0.6') | % { Set-ReceiveConnector Relay -RemoteIPRanges @{Remove=$PSItem} }", ['10.0.0.7']],
  ["$hosts = '10.0.0.1','10.0.0.2'\nforeach ($h in $hosts) { if ($h -like '*.1') { Set-ReceiveConnector Relay -RemoteIPRanges @{Add=$h} } }", ['10.0.0.6', '10.0.0.7', '10.0.0.1']],
  ["foreach ($ip in @()) { Set-ReceiveConnector Relay -RemoteIPRanges $ip }", ['10.0.0.6', '10.0.0.7']],
  ["Get-ReceiveConnector | Where-Object { $_.Name -eq 'Relay' } | ForEach-Object { Set-ReceiveConnector $_.Identity -RemoteIPRanges @{Add='10.0.0.9'} }", ['10.0.0.6', '10.0.0.7', '10.0.0.9']],
];

test('should-interpret: foreach and ForEach-Object run their body once per element', async () => {
  for (const [script, expected] of LOOPS) {
    assert.deepEqual(ranges(await run(`${NEW_RELAY}\n${script}`)), expected, script);
  }
});

test('should-refuse: a refusal inside a loop names the line inside the body', async () => {
  await refusedAt(`${NEW_RELAY}\nforeach ($ip in @('10.0.0.1','10.0.0.300')) {\n  Set-ReceiveConnector 'Relay' -RemoteIPRanges @{Add=$ip}\n}`, 3, /Set-ReceiveConnector: .*10\.0\.0\.300/);
  await refusedAt(`${NEW_RELAY}\n'a' | ForEach-Object -Begin { Write-Host 'start' } -Process { Write-Host $_ }`, 2, /cannot interpret .*ForEach-Object without a single script block/);
  await refusedAt(`${NEW_RELAY}\n'a','b' | ForEach-Object { $_ } | Set-ReceiveConnector`, 2, /cannot interpret .*ForEach-Object before another pipeline stage/);
});

test('a pipeline that only reads and prints changes nothing; its source still has to exist', async () => {
  const r = await run([
    NEW_RELAY,
    "Get-ReceiveConnector -Identity 'EX16\\Relay' | Select-Object -ExpandProperty RemoteIPRanges   # review the hosts",
    "Get-ADPermission 'EX16\\Relay' | Where-Object { $_.ExtendedRights -like '*Any-Recipient*' } | Format-Table -Property User,ExtendedRights",
  ].join('\n'));
  assert.deepEqual(ranges(r), ['10.0.0.6', '10.0.0.7']);
  assert.equal(r.changed, 1);
  await refusedAt(`${NEW_RELAY}\nGet-ReceiveConnector 'EX16\\Nope' | Select-Object -ExpandProperty RemoteIPRanges`, 2, /couldn't find receive connector "EX16\\Nope"/);
  await refusedAt(`${NEW_RELAY}\nGet-ReceiveConnector 'EX16\\Relay' | Select-Object Identity | Set-ReceiveConnector -Banner '220 x'`, 2, /cannot interpret .*Select-Object in the middle of a pipeline/);
});

test('"$(…)" subexpressions in strings, as ForEach-Object bodies write them', async () => {
  const r = await run([
    NEW_RELAY,
    "Get-ReceiveConnector | Where-Object { $_.Name -like 'Relay' } | ForEach-Object { Set-ReceiveConnector \"$($_.Identity)\" -Banner \"220 $($_.Name) ready\" }",
  ].join('\n'));
  assert.equal(relay(r).banner, '220 Relay ready');
  await refusedAt(`${NEW_RELAY}\nSet-ReceiveConnector Relay -Banner "220 $(hostname)"`, 2, /cannot interpret .*hostname/);
  await refusedAt(`${NEW_RELAY}\nSet-ReceiveConnector Relay -Banner "220 $($env:COMPUTERNAME)"`, 2, /cannot interpret/);
});
