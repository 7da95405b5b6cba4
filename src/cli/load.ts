// Reading INPUT... into one snapshot: the shared edge used by every command that takes inputs.
// Files and directories (read recursively, in sorted order); each file's kind is detected by
// content. Files are read one at a time and their bytes dropped once decoded, so a large
// export is never held more than twice (bytes + text) at once.
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { InputError } from '../errors.js';
import type { ImportWarning, Snapshot } from '../model.js';
import { importSource, mergeSnapshots } from '../importers/index.js';
import { decodeSource, type SourceText } from '../source.js';
import type { Io } from './io.js';

function errnoCode(error: unknown): string {
  return (error as NodeJS.ErrnoException | null)?.code ?? String(error);
}

/** Every regular file below `dir`, depth-first, names sorted so that results are deterministic. */
async function listFiles(dir: string, shown: string): Promise<Array<{ path: string; shown: string }>> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new InputError(shown, null, `cannot read directory: ${errnoCode(error)}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: Array<{ path: string; shown: string }> = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    const name = join(shown, e.name);
    if (e.isDirectory()) out.push(...await listFiles(path, name));
    else if (e.isFile()) out.push({ path, shown: name });
  }
  return out;
}

async function readSource(path: string, shown: string): Promise<SourceText> {
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new InputError(shown, null, `cannot read: ${errnoCode(error)}`);
  }
  return decodeSource(shown, bytes);
}

export function formatWarning(w: ImportWarning): string {
  const where = w.file === '' ? '' : `${w.file}${w.line === null ? '' : `:${w.line}`}: `;
  return `exrelay: warning: ${where}${w.message}\n`;
}

/** Loads and merges INPUT... into one snapshot; prints one stderr line per warning. */
export async function loadSnapshot(inputs: readonly string[], io: Io): Promise<Snapshot> {
  const parts: Snapshot[] = [];
  for (const input of inputs) {
    const full = resolve(io.cwd, input);
    let info;
    try {
      info = await stat(full);
    } catch (error) {
      throw new InputError(input, null, `cannot read: ${errnoCode(error)}`);
    }
    if (info.isDirectory()) {
      for (const file of await listFiles(full, input)) {
        let source: SourceText;
        try {
          source = await readSource(file.path, file.shown);
        } catch (error) {
          // Inside a directory, a file that is not text (an image, a zip) is skipped, not fatal.
          if (error instanceof InputError && /not valid/.test(error.message)) {
            parts.push({ ...emptyPart(), warnings: [{ file: file.shown, line: null, message: `not a supported export (${error.message}); skipped` }] });
            continue;
          }
          throw error;
        }
        parts.push((await importSource(source)).snapshot);
      }
    } else {
      const source = await readSource(full, input);
      parts.push((await importSource(source)).snapshot);
    }
  }
  const merged = mergeSnapshots(parts);
  for (const w of merged.warnings) io.stderr(formatWarning(w));
  return merged;
}

function emptyPart(): Snapshot {
  return { schema: 'exrelay.snapshot/1', servers: [], connectors: [], permissions: [], acceptedDomains: [], certificates: [], warnings: [] };
}
