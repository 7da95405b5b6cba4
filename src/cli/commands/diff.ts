// PLACEHOLDER: replaced by the issue that builds `exrelay diff`.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandContext } from '../context.js';

export function registerDiff(program: Command, _ctx: CommandContext): void {
  program.command('diff').description('Show behaviour differences between two servers or snapshots').allowUnknownOption().argument('[args...]')
    .action(() => { throw new UsageError('diff: not available in this build yet'); });
}
