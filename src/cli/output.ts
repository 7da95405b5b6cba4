// Writing a command's result: to stdout, or to --out FILE. One place decides how a file that
// cannot be written is reported (exit 2, one line naming it).
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errnoMessage, InputError } from '../errors.js';
import type { Command } from 'commander';
import type { Snapshot } from '../model.js';
import type { Io } from './io.js';

/** Writes `content` to FILE (relative to the working directory); returns the absolute path. */
export async function writeOutputFile(io: Io, file: string, content: string): Promise<string> {
  const path = resolve(io.cwd, file);
  try {
    await writeFile(path, content, 'utf8');
  } catch (error) {
    throw new InputError(file, null, `cannot write: ${errnoMessage(error)}`);
  }
  return path;
}

/** `-q, --quiet` on every command that writes files: the success line is for people, not scripts. */
export interface QuietOption { quiet?: boolean }

export function addQuietOption(cmd: Command): Command {
  return cmd.option('-q, --quiet', 'no success line on stderr (warnings and errors still print)');
}

/** What a command wrote, how much, and where: one line on stderr, unless --quiet. */
export function reportWritten(io: Io, opts: QuietOption, line: string): void {
  if (opts.quiet !== true) io.stderr(`exrelay: wrote ${line}\n`);
}

/** "3 servers, 12 connectors, 40 permission entries": the parts of a snapshot that are there. */
export function describeSnapshot(snapshot: Snapshot): string {
  const parts: Array<[number, string, string]> = [
    [snapshot.servers.length, 'server', 'servers'], [snapshot.connectors.length, 'receive connector', 'receive connectors'],
    [snapshot.permissions.length, 'permission entry', 'permission entries'], [snapshot.acceptedDomains.length, 'accepted domain', 'accepted domains'],
    [snapshot.certificates.length, 'certificate', 'certificates'],
  ];
  const shown = parts.filter(([n]) => n > 0).map(([n, one, many]) => `${n} ${n === 1 ? one : many}`);
  return shown.length === 0 ? 'an empty snapshot' : shown.join(', ');
}
