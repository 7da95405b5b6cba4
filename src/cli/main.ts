// Entry point: builds the commander program, runs it, maps errors to the contract's exit codes.
import { Command, CommanderError } from 'commander';
import { ExitCode, InputError, UsageError, describeError } from '../errors.js';
import type { CommandContext, RegisterCommand } from './context.js';
import type { Io } from './io.js';
import { applyHelpStyle, HELP_SETTINGS, PLACEHOLDERS_EXPLAINED, withExamples, type Example } from './help.js';
import { registerImport } from './commands/import.js';
import { registerAudit } from './commands/audit.js';
import { registerReplay } from './commands/replay.js';
import { registerSandbox } from './commands/sandbox.js';
import { registerMigrate } from './commands/migrate.js';
import { registerApply } from './commands/apply.js';
import { registerEmit } from './commands/emit.js';
import { registerDiff } from './commands/diff.js';
import { registerLogs } from './commands/logs.js';
import { registerPlan } from './commands/plan.js';
import { registerCollectScript } from './commands/collect-script.js';
import { registerCompletion } from './commands/completion.js';
import { registerDoctor } from './commands/doctor.js';

const COMMANDS: RegisterCommand[] = [
  registerImport, registerAudit, registerReplay, registerSandbox, registerMigrate,
  registerApply, registerEmit, registerDiff, registerLogs, registerPlan, registerCollectScript, registerDoctor, registerCompletion,
];

export const VERSION = '0.1.0';

/** The consultant's day, in the order it is walked: the top-level help's examples. */
const DAY: readonly Example[] = [
  { what: '1. a read-only script for the customer\'s Exchange Management Shell', run: 'exrelay collect-script --out collect.ps1' },
  { what: '2. the risk report of what came back', run: 'exrelay audit exports/ --format html --out report.html' },
  { what: '3. who relays today, as scenarios', run: 'exrelay logs logs/ --config exports/ --scenarios traffic.json' },
  { what: '4. the migration script, then its dry run and the proof nothing breaks', run: 'exrelay migrate exports/ --source-server EX10 --target-server EX16 --out migrate.ps1' },
  { what: '5. or the exit: per sender, the Microsoft 365 path and what blocks it', run: 'exrelay plan exports/ --logs logs/ --worksheet senders.csv --licences 400' },
];

export function createProgram(ctx: CommandContext): Command {
  const program = new Command('exrelay')
    .description('Audit and migrate Exchange SMTP relay (receive connectors): import exports, audit them, emit PowerShell/Postfix/HTML, run a sandbox, replay traffic.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .helpCommand(false)
    .configureHelp(HELP_SETTINGS)
    .configureOutput({
      writeOut: (s) => ctx.io.stdout(s),
      writeErr: (s) => ctx.io.stderr(s),
      // Commander's own errors ("error: unknown option") get the prefix of every other error.
      // Its suggestion joins the same line: an error is one line on stderr.
      outputError: (s, write) => write(s.replace(/^error: /, 'exrelay: ').replace(/\n\(Did you mean (.+?)\?\)/, '; did you mean $1?')),
    })
    .exitOverride();
  // Each command (created by program.command) inherits the help, output and exit settings above.
  for (const register of COMMANDS) register(program, ctx);
  withExamples(program, DAY);
  program.addHelpText('after', ['', 'Words used in every command\'s help:', ...PLACEHOLDERS_EXPLAINED.map(([word, meaning]) => `  ${word.padEnd(19)}${meaning}`),
    '', 'Exit codes: 0 done, 1 a gate failed (audit --fail-on, replay --fail-on-change),',
    '2 bad usage or input, 3 internal error. `exrelay COMMAND --help` shows a',
    'command\'s options and examples; the manual is docs/commands/ in the repository.'].join('\n'));
  applyHelpStyle(program);
  program.usage('COMMAND [options]');
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
