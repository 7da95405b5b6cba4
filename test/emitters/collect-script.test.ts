// The collect script parses with the real PowerShell grammar (tree-sitter-powershell via the
// shared loader src/powershell/grammar.ts), runs the cmdlets it promises, quotes the
// consultant's defaults, and `exrelay collect-script` prints or writes it.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderCollectScript, type CollectScriptOptions } from '../../src/emitters/powershell/collect.js';
import { psQuote } from '../../src/powershell/quote.js';
import { commandElements, commandName, commandNodes, parsePowerShell, pipelineOf, type SyntaxNode } from '../../src/powershell/grammar.js';
import { runCli } from '../helpers/cli.js';

const DEFAULTS: CollectScriptOptions = { outputFolder: null, servers: [], includeProtocolLogs: false, days: 7, version: '0.0.0-test' };

async function parse(options: Partial<CollectScriptOptions> = {}): Promise<{ script: string; commands: SyntaxNode[] }> {
  const script = renderCollectScript({ ...DEFAULTS, ...options });
  const parsed = await parsePowerShell(script);
  assert.deepEqual(parsed.errors, [], 'no ERROR or MISSING nodes');
  return { script, commands: commandNodes(parsed.tree.rootNode) };
}

function named(commands: readonly SyntaxNode[], name: string): SyntaxNode[] {
  return commands.filter((c) => commandName(c).toLowerCase() === name.toLowerCase());
}

function parameters(command: SyntaxNode): string[] {
  return commandElements(command).flatMap((e) => (e.kind === 'parameter' ? [e.name.toLowerCase()] : []));
}

/** `param(...)` default of a parameter, as written. */
function paramDefault(script: string, name: string): string {
  const m = new RegExp(`^\\s*\\[[\\w[\\]]+\\]\\$${name}\\s*=\\s*(.*?),?$`, 'm').exec(script);
  assert.ok(m !== null, `param ${name} has a default`);
  return m[1] ?? '';
}

describe('collect script', () => {
  it('parses without errors and runs every collecting cmdlet as a command', async () => {
    const { commands } = await parse();
    for (const cmdlet of ['Get-ExchangeServer', 'Get-ReceiveConnector', 'Get-ADPermission', 'Get-AcceptedDomain',
      'Get-ExchangeCertificate', 'Export-Clixml', 'Get-TransportService', 'Get-TransportServer',
      'Get-FrontendTransportService', 'Copy-Item', 'Add-Member']) {
      assert.ok(named(commands, cmdlet).length > 0, `${cmdlet} is a command in the script`);
    }
  });

  it('exports CLIXML as UTF-8', async () => {
    const { commands } = await parse();
    const exports = named(commands, 'Export-Clixml');
    assert.ok(exports.length >= 1);
    for (const e of exports) {
      const els = commandElements(e);
      const at = els.findIndex((x) => x.kind === 'parameter' && x.name.toLowerCase() === 'encoding');
      assert.ok(at >= 0, 'Export-Clixml has -Encoding');
      assert.equal(els[at + 1]?.node.text, 'UTF8');
    }
  });

  it('keeps every AD permission entry (no filter after Get-ADPermission)', async () => {
    const { commands } = await parse();
    const adperm = named(commands, 'Get-ADPermission');
    assert.equal(adperm.length, 1);
    assert.deepEqual(pipelineOf(adperm[0] as SyntaxNode).map(commandName), ['Get-ADPermission']);
    assert.deepEqual(parameters(adperm[0] as SyntaxNode), ['identity']);
  });

  it('resolves server addresses from DNS and asks each server for its connectors and certificates', async () => {
    const { script, commands } = await parse();
    assert.match(script, /\[System\.Net\.Dns\]::GetHostAddresses\(/);
    assert.match(script, /-Name 'IPAddresses'/);
    assert.deepEqual(parameters(named(commands, 'Get-ReceiveConnector')[0] as SyntaxNode), ['server']);
    assert.deepEqual(parameters(named(commands, 'Get-ExchangeCertificate')[0] as SyntaxNode), ['server']);
  });

  it('stays within Windows PowerShell 2.0 (Exchange 2010) syntax and is ASCII', async () => {
    const { script } = await parse();
    const code = script.replace(/<#[\s\S]*?#>/g, '').replace(/^\s*#.*$/gm, '');
    assert.doesNotMatch(code, /\[pscustomobject\]|-NotePropertyName|Get-ChildItem[^\n]*\s-File\b|\.ForEach\(|\$PSItem/i);
    assert.ok([...script].every((c) => c === "\t" || c === "\n" || (c >= " " && c <= "~")), "ASCII only");
  });

  it('writes the consultant\'s defaults as literals, even hostile ones', async () => {
    const folder = "D:\\x'; Remove-Item C:\\ -Recurse; $(Stop-Computer) \u2019 '";
    const { script, commands } = await parse({ outputFolder: folder, servers: ['EX01', "O'Hare"], includeProtocolLogs: true, days: 14 });
    assert.equal(paramDefault(script, 'OutputFolder'), psQuote(folder));
    assert.equal(paramDefault(script, 'Server'), "@('EX01','O''Hare')");
    assert.equal(paramDefault(script, 'IncludeProtocolLogs'), '$true');
    assert.equal(paramDefault(script, 'Days'), '14');
    assert.equal(named(commands, 'Remove-Item').length, 0);
    assert.equal(named(commands, 'Stop-Computer').length, 0);
  });

  it('has no protocol logs by default, with an empty folder and all servers', async () => {
    const { script } = await parse();
    assert.equal(paramDefault(script, 'OutputFolder'), "''");
    assert.equal(paramDefault(script, 'Server'), '@()');
    assert.match(script, /\[switch\]\$IncludeProtocolLogs,$/m);
  });
});

describe('exrelay collect-script', () => {
  it('prints the script with exit 0', async () => {
    const r = await runCli(['collect-script']);
    assert.equal(r.exitCode, 0, r.stderr);
    assert.equal(r.stderr, '');
    assert.match(r.stdout, /^<#\n\.SYNOPSIS/);
    assert.match(r.stdout, /Get-ReceiveConnector -Server/);
    assert.match(r.stdout, /\[int\]\$Days = 7/);
  });

  it('writes --out as UTF-8 with BOM and CRLF, with the chosen defaults', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exrelay-collect-'));
    try {
      const file = join(dir, 'collect.ps1');
      const r = await runCli(['collect-script', '--out', file, '--include-protocol-logs', '--days', '30', '--server', 'EX01,EX02', '--output-folder', 'D:\\Zürich']);
      assert.equal(r.exitCode, 0, r.stderr);
      assert.equal(r.stdout, '');
      const bytes = readFileSync(file);
      assert.deepEqual([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
      const text = bytes.subarray(3).toString('utf8');
      assert.doesNotMatch(text, /[^\r]\n/);
      assert.match(text, /\[string\]\$OutputFolder = 'D:\\Zürich',\r\n/);
      assert.match(text, /\[string\[\]\]\$Server = @\('EX01','EX02'\),\r\n/);
      assert.match(text, /\[switch\]\$IncludeProtocolLogs = \$true,\r\n/);
      assert.match(text, /\[int\]\$Days = 30\r\n/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses a bad --days with exit 2 and one line on stderr', async () => {
    const r = await runCli(['collect-script', '--days', '0']);
    assert.equal(r.exitCode, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /--days/);
    assert.doesNotMatch(r.stderr, /\n\s+at /);
  });
});
