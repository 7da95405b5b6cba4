// PLACEHOLDER: replaced by the issue that builds `exrelay apply`.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandContext } from '../context.js';

export function registerApply(program: Command, _ctx: CommandContext): void {
  program.command('apply').description('Dry-run a PowerShell change script against a snapshot').allowUnknownOption().argument('[args...]')
    .action(() => { throw new UsageError('apply: not available in this build yet'); });
}
