// PLACEHOLDER: replaced by the issue that builds `exrelay import`.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandContext } from '../context.js';

export function registerImport(program: Command, _ctx: CommandContext): void {
  program.command('import').description('Normalise exports into one exrelay.snapshot/1 document').allowUnknownOption().argument('[args...]')
    .action(() => { throw new UsageError('import: not available in this build yet'); });
}
