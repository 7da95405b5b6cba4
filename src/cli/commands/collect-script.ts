// `exrelay collect-script`: prints (or writes) the PowerShell script that collects, on the
// customer's Exchange, everything the other commands read.
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { renderCollectScript } from '../../emitters/powershell/collect.js';
import type { CommandContext } from '../context.js';
import { parseList } from '../options.js';
// Read when the command runs, so the cycle with main.ts (which registers this command) is harmless.
import { VERSION } from '../main.js';
import { addQuietOption, reportWritten, writeOutputFile, type QuietOption } from '../output.js';
import { withExamples } from '../help.js';

interface CollectScriptCliOptions extends QuietOption {
  out?: string;
  outputFolder?: string;
  server?: string[];
  includeProtocolLogs?: boolean;
  days: number;
}

function parseDays(value: string): number {
  if (!/^\d+$/.test(value) || Number.parseInt(value, 10) < 1 || Number.parseInt(value, 10) > 3650) {
    throw new InvalidArgumentError('expected a whole number of days from 1 to 3650');
  }
  return Number.parseInt(value, 10);
}

function parseFolder(value: string): string {
  if (value.includes('\u0000') || value.trim() === '') throw new InvalidArgumentError('expected a folder path');
  return value;
}

export function registerCollectScript(program: Command, ctx: CommandContext): void {
  const cmd = program.command('collect-script')
    .summary('print the read-only PowerShell script that exports what exrelay reads')
    .description('Print the PowerShell script to run in the customer\'s Exchange Management Shell (2010-2019). It only reads: it exports receive connectors, '
      + 'their AD permissions, accepted domains, servers with their IP addresses, certificates and optionally protocol logs into one folder for `exrelay import`. '
      + 'The options set the script\'s parameter defaults; the customer can still pass -OutputFolder, -Server, -IncludeProtocolLogs and -Days.')
    .option('--out <FILE>', 'write the script to FILE (UTF-8 with BOM and CRLF, as Windows PowerShell 5.1 needs) instead of standard output')
    .option('--output-folder <DIR>', 'default for the script\'s -OutputFolder, a path on the Exchange server (default: exrelay-export-COMPUTER-DATE in the current directory)', parseFolder)
    .option('--server <SERVER,...>', 'default for the script\'s -Server: collect only these Exchange servers, repeatable or comma-separated (default: all)', parseList)
    .option('--include-protocol-logs', 'make the script copy SMTP receive protocol logs by default (its -IncludeProtocolLogs switch)')
    .option('--days <N>', 'default for the script\'s -Days: how many days of protocol logs to copy', parseDays, 7);
  addQuietOption(cmd);
  withExamples(cmd, [
    { what: 'the script to send to the customer\'s Exchange admin', run: 'exrelay collect-script --out exrelay-collect.ps1' },
    { what: 'with two weeks of protocol logs, for `exrelay logs`', run: 'exrelay collect-script --include-protocol-logs --days 14 --out exrelay-collect.ps1' },
    { what: 'only the servers in scope', run: 'exrelay collect-script --server EX10,EX16 --out exrelay-collect.ps1' },
  ]);
  cmd.addHelpText('after', [
    '',
    'On the Exchange server, in the Exchange Management Shell:',
    '  .\\exrelay-collect.ps1 [-OutputFolder DIR] [-Server EX01,EX02] [-IncludeProtocolLogs] [-Days N]',
    'then copy the folder back and run: exrelay import FOLDER --out snapshot.json',
  ].join('\n'));
  cmd.action(async (opts: CollectScriptCliOptions) => {
    const script = renderCollectScript({
      outputFolder: opts.outputFolder ?? null,
      servers: opts.server ?? [],
      includeProtocolLogs: opts.includeProtocolLogs === true,
      days: opts.days,
      version: VERSION,
    });
    if (opts.out === undefined) ctx.io.stdout(script);
    else {
      // Windows PowerShell 5.1 reads a .ps1 without BOM in the ANSI code page.
      const path = await writeOutputFile(ctx.io, opts.out, `\uFEFF${script.replace(/\n/g, '\r\n')}`);
      reportWritten(ctx.io, opts, `${path} (collection script, ${script.split('\n').length} lines; run it in the Exchange Management Shell)`);
    }
    ctx.setExitCode(ExitCode.Ok);
  });
}
