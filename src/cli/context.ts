import type { Command } from 'commander';
import type { ExitCode } from '../errors.js';
import type { Io } from './io.js';

/** What every command module receives when it registers itself. */
export interface CommandContext {
  io: Io;
  /** Commands return their exit code through this; only the launcher exits. */
  setExitCode(code: ExitCode): void;
}

export type RegisterCommand = (program: Command, ctx: CommandContext) => void;
