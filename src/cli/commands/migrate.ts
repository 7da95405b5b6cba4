// PLACEHOLDER: replaced by the issue that builds `exrelay migrate`.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandContext } from '../context.js';

export function registerMigrate(program: Command, _ctx: CommandContext): void {
  program.command('migrate').description('Write a PowerShell script that recreates a server\'s relay behaviour on a new server').allowUnknownOption().argument('[args...]')
    .action(() => { throw new UsageError('migrate: not available in this build yet'); });
}
