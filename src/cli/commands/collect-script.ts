// PLACEHOLDER: replaced by the issue that builds `exrelay collect-script`.
import type { Command } from 'commander';
import { UsageError } from '../../errors.js';
import type { CommandContext } from '../context.js';

export function registerCollectScript(program: Command, _ctx: CommandContext): void {
  program.command('collect-script').description('Print the PowerShell script that collects everything exrelay reads').allowUnknownOption().argument('[args...]')
    .action(() => { throw new UsageError('collect-script: not available in this build yet'); });
}
