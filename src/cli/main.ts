// Entry point: builds the commander program, runs it, maps errors to the contract's exit codes.
import { Command, CommanderError } from 'commander';
import { ExitCode, InputError, UsageError, describeError } from '../errors.js';
import type { CommandContext, RegisterCommand } from './context.js';
import type { Io } from './io.js';
import { registerImport } from './commands/import.js';
import { registerAudit } from './commands/audit.js';
import { registerReplay } from './commands/replay.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerMigrate } from './commands/migrate.js';
import { registerApply } from './commands/apply.js';
import { registerEmit } from './commands/emit.js';
import { registerDiff } from './commands/diff.js';
import { registerLogs } from './commands/logs.js';
import { registerCollectScript } from './commands/collect-script.js';

const COMMANDS: RegisterCommand[] = [
  registerImport, registerAudit, registerReplay, registerSandbox, registerMigrate,
  registerApply, registerEmit, registerDiff, registerLogs, registerCollectScript,
];

export const VERSION = '0.1.0';

export function createProgram(ctx: CommandContext): Command {
  const program = new Command('exrelay')
    .description('Audit and migrate Exchange SMTP relay (receive connectors): import exports, analyse, emit PowerShell/Postfix/HTML, run a sandbox, replay traffic.')
    .version(VERSION)
    .configureOutput({ writeOut: (s) => ctx.io.stdout(s), writeErr: (s) => ctx.io.stderr(s) })
    .exitOverride();
  for (const register of COMMANDS) register(program, ctx);
  for (const sub of program.commands) {
    sub.exitOverride().configureOutput({ writeOut: (s) => ctx.io.stdout(s), writeErr: (s) => ctx.io.stderr(s) });
    for (const nested of sub.commands) nested.exitOverride().configureOutput({ writeOut: (s) => ctx.io.stdout(s), writeErr: (s) => ctx.io.stderr(s) });
  }
  return program;
}

export async function main(argv: readonly string[], io: Io): Promise<ExitCode> {
  let code: ExitCode = ExitCode.Ok;
  const program = createProgram({ io, setExitCode: (c) => { code = c; } });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end with code 0; every other commander error is bad usage.
      return error.exitCode === 0 ? ExitCode.Ok : ExitCode.BadInput;
    }
    if (error instanceof InputError) {
      io.stderr(`exrelay: ${error.oneLine()}\n`);
      return ExitCode.BadInput;
    }
    if (error instanceof UsageError) {
      io.stderr(`exrelay: ${error.message}\n`);
      return ExitCode.BadInput;
    }
    io.stderr(`exrelay: internal error: ${describeError(error)}\n`);
    return ExitCode.Internal;
  }
}
