// PLACEHOLDER: replaced by the issue that builds `exrelay audit`.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandContext } from '../context.js';

export function registerAudit(program: Command, _ctx: CommandContext): void {
  program.command('audit').description('Run every audit rule and print findings').allowUnknownOption().argument('[args...]')
    .action(() => { throw new UsageError('audit: not available in this build yet'); });
}
