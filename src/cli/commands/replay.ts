// PLACEHOLDER: replaced by the issue that builds `exrelay replay`.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandContext } from '../context.js';

export function registerReplay(program: Command, _ctx: CommandContext): void {
  program.command('replay').description('Evaluate scenarios against a configuration, in-process').allowUnknownOption().argument('[args...]')
    .action(() => { throw new UsageError('replay: not available in this build yet'); });
}
