// `exrelay collect-script`: prints (or writes) the PowerShell script that collects, on the
// customer's Exchange, everything the other commands read.
import { InvalidArgumentError, type Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { renderCollectScript } from '../../emitters/powershell/collect.js';
import type { CommandContext } from '../context.js';
import { parseList } from '../options.js';
// Read when the command runs, so the cycle with main.ts (which registers this command) is harmless.
import { VERSION } from '../main.js';
import { writeOutputFile } from '../output.js';

interface CollectScriptCliOptions {
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
  program.command('collect-script')
    .description('Print the PowerShell script to run in the customer\'s Exchange Management Shell (2010-2019): it exports receive connectors, their AD permissions, accepted domains, servers with IP addresses, certificates and optionally protocol logs into one folder for `exrelay import`')
    .option('--out <file>', 'write the script to FILE (UTF-8 with BOM, as Windows PowerShell 5.1 needs for non-ASCII text) instead of standard output')
    .option('--output-folder <dir>', 'default for the script\'s -OutputFolder (a path on the Exchange server); default: exrelay-export-COMPUTER-DATE in the current directory', parseFolder)
    .option('--server <name,...>', 'default for the script\'s -Server: collect only these Exchange servers (repeatable or comma-separated); default: all', parseList)
    .option('--include-protocol-logs', 'make the script copy SMTP receive protocol logs by default (the script\'s -IncludeProtocolLogs switch)')
    .option('--days <n>', 'default for the script\'s -Days: how many days of protocol logs to copy', parseDays, 7)
    .addHelpText('after', [
      '',
      'Examples:',
      '  exrelay collect-script --out exrelay-collect.ps1',
      '  exrelay collect-script --include-protocol-logs --days 14 --out exrelay-collect.ps1',
      '',
      'On the Exchange server, in the Exchange Management Shell:',
      '  .\\exrelay-collect.ps1 [-OutputFolder DIR] [-Server EX01,EX02] [-IncludeProtocolLogs] [-Days N]',
      'then copy the folder back and run: exrelay import FOLDER --out snapshot.json',
    ].join('\n'))
    .action(async (opts: CollectScriptCliOptions) => {
      const script = renderCollectScript({
        outputFolder: opts.outputFolder ?? null,
        servers: opts.server ?? [],
        includeProtocolLogs: opts.includeProtocolLogs === true,
        days: opts.days,
        version: VERSION,
      });
      if (opts.out === undefined) ctx.io.stdout(script);
      // Windows PowerShell 5.1 reads a .ps1 without BOM in the ANSI code page.
      else await writeOutputFile(ctx.io, opts.out, `\uFEFF${script.replace(/\n/g, '\r\n')}`);
      ctx.setExitCode(ExitCode.Ok);
    });
}
