// PLACEHOLDER: replaced by the issue that builds `exrelay emit`.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandContext } from '../context.js';

export function registerEmit(program: Command, _ctx: CommandContext): void {
  program.command('emit').description('Emit an equivalent configuration for another MTA (postfix)').allowUnknownOption().argument('[args...]')
    .action(() => { throw new UsageError('emit: not available in this build yet'); });
}
