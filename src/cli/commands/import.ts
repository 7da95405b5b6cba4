// `exrelay import INPUT... [--out FILE]`: normalise exports into one exrelay.snapshot/1 document.
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { ExitCode, InputError } from '../../errors.js';
import { stableStringify } from '../../json.js';
import type { CommandContext } from '../context.js';
import { loadSnapshot } from '../load.js';

export function registerImport(program: Command, ctx: CommandContext): void {
  program.command('import')
    .description('Normalise exports (Export-Clixml, Export-Csv, ConvertTo-Json, Format-List/table text, earlier snapshots; files or directories) into one exrelay.snapshot/1 document')
    .argument('<input...>', 'export files or directories (read recursively; each file\'s kind is detected by content)')
    .option('--out <file>', 'write the snapshot to FILE instead of standard output')
    .action(async (inputs: string[], opts: { out?: string }) => {
      const snapshot = await loadSnapshot(inputs, ctx.io);
      const text = stableStringify(snapshot);
      if (opts.out === undefined) ctx.io.stdout(text);
      else {
        try {
          await writeFile(resolve(ctx.io.cwd, opts.out), text);
        } catch (error) {
          throw new InputError(opts.out, null, `cannot write: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
        }
      }
      ctx.setExitCode(ExitCode.Ok);
    });
}
