// `exrelay apply INPUT... --script FILE [--out FILE] [--skip-unknown]`: dry-run a PowerShell change
// script against the snapshot and write the resulting snapshot. The core (src/apply) is pure;
// this edge reads the script and writes the result.
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { applyScript } from '../../apply/apply.js';
import { stableStringify } from '../../json.js';
import type { CommandContext } from '../context.js';
import { loadSnapshot, readOptionFile } from '../load.js';
import { writeResult } from '../output.js';

interface ApplyCliOptions { script: string; out?: string; skipUnknown?: boolean }

export function registerApply(program: Command, ctx: CommandContext): void {
  program.command('apply')
    .description('Dry-run a PowerShell change script (New-/Set-/Remove-ReceiveConnector, Add-/Remove-ADPermission, New-/Set-/Remove-AcceptedDomain) against the snapshot and write the resulting snapshot; what Exchange would refuse is reported with its line (exit 2)')
    .argument('<input...>', 'exports or snapshots to apply the script to (files or directories)')
    .requiredOption('--script <file>', 'the PowerShell change script (.ps1; UTF-8 or UTF-16 with BOM)')
    .option('--out <file>', 'write the resulting snapshot to FILE instead of standard output')
    .option('--skip-unknown', 'skip statements the dry run cannot interpret (each named on stderr) instead of failing')
    .action(async (inputs: string[], opts: ApplyCliOptions) => {
      const snapshot = await loadSnapshot(inputs, ctx.io);
      const source = await readOptionFile(ctx.io, opts.script);
      const result = await applyScript(snapshot, source.text, { file: opts.script, skipUnknown: opts.skipUnknown === true });
      for (const e of result.events) {
        if (e.kind === 'skipped' || e.kind === 'suppressed') ctx.io.stderr(`exrelay: warning: ${opts.script}:${e.line}: ${e.message}\n`);
      }
      await writeResult(ctx.io, opts.out, stableStringify(result.snapshot));
      ctx.setExitCode(ExitCode.Ok);
    });
}
