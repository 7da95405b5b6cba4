// `exrelay import INPUT... [--out FILE]`: normalise exports into one exrelay.snapshot/1 document.
import type { Command } from 'commander';
import { ExitCode } from '../../errors.js';
import { stableStringify } from '../../json.js';
import type { CommandContext } from '../context.js';
import { withExamples } from '../help.js';
import { loadSnapshot } from '../load.js';
import { addQuietOption, describeSnapshot, reportWritten, writeOutputFile, type QuietOption } from '../output.js';

interface ImportCliOptions extends QuietOption { out?: string }

export function registerImport(program: Command, ctx: CommandContext): void {
  const cmd = program.command('import')
    .summary('normalise exports into one snapshot (exrelay.snapshot/1)')
    .description('Normalise exports (Export-Clixml, Export-Csv, ConvertTo-Json, Format-List or table text, earlier snapshots) into one exrelay.snapshot/1 document. '
      + 'Every other command reads the same INPUTs directly, so importing first is optional: it gives one file to keep, diff and share.')
    .argument('<INPUT...>', 'export files or folders (read recursively; each file\'s kind is detected by its content, not its name)')
    .option('--out <FILE>', 'write the snapshot to FILE instead of standard output');
  addQuietOption(cmd);
  withExamples(cmd, [
    { what: 'the folder the collect script produced, as one snapshot to keep with the engagement', run: 'exrelay import exports/ --out snapshot.json' },
    { what: 'a CLIXML export merged with text pasted from the customer\'s console', run: 'exrelay import rc.xml adperm.txt --out snapshot.json' },
    { what: 'check what was understood before auditing (warnings go to stderr)', run: 'exrelay import exports/ > /dev/null' },
  ]);
  cmd.action(async (inputs: string[], opts: ImportCliOptions) => {
    const snapshot = await loadSnapshot(inputs, ctx.io);
    const text = stableStringify(snapshot);
    if (opts.out === undefined) ctx.io.stdout(text);
    else reportWritten(ctx.io, opts, `${await writeOutputFile(ctx.io, opts.out, text)} (${describeSnapshot(snapshot)}; ${snapshot.warnings.length} warnings)`);
    ctx.setExitCode(ExitCode.Ok);
  });
}
