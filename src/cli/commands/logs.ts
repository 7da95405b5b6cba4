// PLACEHOLDER: replaced by the issue that builds `exrelay logs`.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandContext } from '../context.js';

export function registerLogs(program: Command, _ctx: CommandContext): void {
  program.command('logs').description('Read SMTP receive protocol logs: who sends what through which connector').allowUnknownOption().argument('[args...]')
    .action(() => { throw new UsageError('logs: not available in this build yet'); });
}
