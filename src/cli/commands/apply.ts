// `exrelay apply INPUT... --script FILE [--out FILE] [--skip-unknown]`: dry-run a PowerShell change
// script against the snapshot and write the resulting snapshot. The core (src/apply) is pure;
// this edge reads the script and writes the result.
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { applyScript } from '../../apply/apply.js';
import { stableStringify } from '../../json.js';
import type { CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import { readOptionFile, loadConnectorSnapshot } from '../load.js';
import { addQuietOption, describeSnapshot, reportWritten, writeOutputFile, type QuietOption } from '../output.js';

interface ApplyCliOptions extends QuietOption { script: string; out?: string; skipUnknown?: boolean }

export function registerApply(program: Command, ctx: CommandContext): void {
  const cmd = program.command('apply')
    .summary('dry-run a PowerShell change script on the snapshot')
    .description('Dry-run a PowerShell change script (New-/Set-/Remove-ReceiveConnector, Add-/Remove-ADPermission, New-/Set-/Remove-AcceptedDomain, '
      + 'as written by people and by `exrelay migrate`) against the snapshot and write the resulting snapshot. A statement Exchange would refuse '
      + 'is named with its line (exit 2).')
    .argument('<INPUT...>', 'exports, folders or snapshots the script runs against')
    .requiredOption('--script <FILE>', 'the PowerShell change script (.ps1; UTF-8 or UTF-16 with BOM)')
    .option('--out <FILE>', 'write the resulting snapshot to FILE instead of standard output')
    .option('--skip-unknown', 'skip statements the dry run cannot interpret (each named on stderr) instead of failing');
  addQuietOption(cmd);
  withExamples(cmd, [
    { what: 'what the new server looks like after the migration script', run: 'exrelay apply exports/ --script migrate.ps1 --out after.json' },
    { what: 'then prove nothing that worked breaks', run: 'exrelay replay exports/ --scenarios traffic.json --server EX10 --compare after.json --compare-server EX16' },
    { what: 'a hand-written change with lines exrelay cannot model (Write-Host, loops)', run: 'exrelay apply snapshot.json --script change.ps1 --skip-unknown --out after.json' },
  ]);
  cmd.action(async (inputs: string[], opts: ApplyCliOptions) => {
    const snapshot = await loadConnectorSnapshot(inputs, ctx.io);
    const source = await readOptionFile(ctx.io, opts.script);
    const result = await applyScript(snapshot, source.text, { file: opts.script, skipUnknown: opts.skipUnknown === true });
    let skipped = 0;
    for (const e of result.events) {
      if (e.kind === 'skipped' || e.kind === 'suppressed') {
        skipped++;
        ctx.io.stderr(`exrelay: warning: ${opts.script}:${e.line}: ${e.message}\n`);
      }
    }
    const text = stableStringify(result.snapshot);
    if (opts.out === undefined) ctx.io.stdout(text);
    else {
      const path = await writeOutputFile(ctx.io, opts.out, text);
      reportWritten(ctx.io, opts, `${path} (${opts.script}: ${result.changed} statements changed the configuration${skipped === 0 ? '' : `, ${skipped} skipped`}; now ${describeSnapshot(result.snapshot)})`);
    }
    ctx.setExitCode(ExitCode.Ok);
  });
}
