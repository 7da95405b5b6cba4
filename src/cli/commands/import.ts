// `exrelay import INPUT... [--out FILE]`: normalise exports into one exrelay.snapshot/1 document.
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { stableStringify } from '../../json.js';
import type { CommandContext } from '../context.js';
import { loadSnapshot } from '../load.js';
import { writeResult } from '../output.js';

export function registerImport(program: Command, ctx: CommandContext): void {
  program.command('import')
    .description('Normalise exports (Export-Clixml, Export-Csv, ConvertTo-Json, Format-List/table text, earlier snapshots; files or directories) into one exrelay.snapshot/1 document')
    .argument('<input...>', 'export files or directories (read recursively; each file\'s kind is detected by content)')
    .option('--out <file>', 'write the snapshot to FILE instead of standard output')
    .action(async (inputs: string[], opts: { out?: string }) => {
      const snapshot = await loadSnapshot(inputs, ctx.io);
      await writeResult(ctx.io, opts.out, stableStringify(snapshot));
      ctx.setExitCode(ExitCode.Ok);
    });
}
