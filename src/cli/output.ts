// Writing a command's result: to stdout, or to --out FILE. One place decides how a file that
// cannot be written is reported (exit 2, one line naming it).
import { writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { errnoCode, InputError } from '../errors.js';
import type { Io } from './io.js';

/** Writes `content` to FILE (relative to the working directory); returns the absolute path. */
export async function writeOutputFile(io: Io, file: string, content: string): Promise<string> {
  const path = resolve(io.cwd, file);
  try {
    await writeFile(path, content, 'utf8');
  } catch (error) {
    throw new InputError(file, null, `cannot write: ${errnoCode(error)}`);
  }
  return path;
}

/** The result to FILE when given, else to stdout. */
export async function writeResult(io: Io, file: string | undefined, content: string): Promise<void> {
  if (file === undefined) io.stdout(content);
  else await writeOutputFile(io, file, content);
}
