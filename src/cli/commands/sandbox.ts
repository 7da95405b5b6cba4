// PLACEHOLDER: replaced by the issue that builds `exrelay sandbox`.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandContext } from '../context.js';

export function registerSandbox(program: Command, _ctx: CommandContext): void {
  program.command('sandbox').description('Run an SMTP server that answers as the connectors of one server would').allowUnknownOption().argument('[args...]')
    .action(() => { throw new UsageError('sandbox: not available in this build yet'); });
}
