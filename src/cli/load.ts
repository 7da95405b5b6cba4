// Reading INPUT... into one snapshot: the shared edge used by every command that takes inputs.
// Files and directories (read recursively, in sorted order); each file's kind is detected by
// content. Files are read one at a time and their bytes dropped once decoded, so a large
// export is never held more than twice (bytes + text) at once.
import { open, readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve, sep } from 'node:path';
import { errnoMessage, InputError } from '../errors.js';
import type { ImportWarning, Snapshot } from '../model.js';
import { detectKind, importSource, mergeSnapshots } from '../importers/index.js';
import { decodeSource, makeSourceText, sniffEncoding, type SourceText } from '../source.js';
import type { Io } from './io.js';

/** Every regular file below `dir`, depth-first, names sorted so that results are deterministic. */
async function listFiles(dir: string, shown: string): Promise<Array<{ path: string; shown: string }>> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    throw new InputError(shown, null, `cannot read directory: ${errnoMessage(error)}`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const out: Array<{ path: string; shown: string }> = [];
  for (const e of entries) {
    const path = join(dir, e.name);
    const name = join(shown, e.name);
    if (e.isDirectory()) out.push(...await listFiles(path, name));
    else if (e.isFile()) out.push({ path, shown: name });
    else if (e.isSymbolicLink()) {
      // Links to files are followed; links to directories are not (no cycles).
      const target = await stat(path).catch(() => null);
      if (target?.isFile() === true) out.push({ path, shown: name });
    }
  }
  return out;
}

/**
 * The largest file read as an INPUT. A whole estate's export is tens of MB (1,000,000 remote
 * ranges: about 70 MB of UTF-16 CLIXML, 130 MB as a snapshot); a file several times that is
 * refused before it is read, instead of exhausting memory (a dense CLIXML needs ~30 bytes of
 * memory per byte) or passing the longest string JavaScript can hold (~512 M characters).
 */
export const MAX_INPUT_BYTES = 256 * 1024 * 1024;

const INPUT_TOO_LARGE = "an input may have (a whole estate's export is tens of MB; export fewer objects per file)";
const OPTION_FILE_TOO_LARGE = 'a file named by an option may have';

async function readSource(path: string, shown: string, tooLarge = INPUT_TOO_LARGE): Promise<SourceText> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (error) {
    throw new InputError(shown, null, `cannot read: ${errnoMessage(error)}`);
  }
  if (size > MAX_INPUT_BYTES) {
    throw new InputError(shown, null, `refused: ${Math.ceil(size / (1024 * 1024))} MB is more than the ${MAX_INPUT_BYTES / (1024 * 1024)} MB ${tooLarge}`);
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new InputError(shown, null, `cannot read: ${errnoMessage(error)}`);
  }
  return decodeSource(shown, bytes);
}

/**
 * Whether a file in a directory is an SMTP receive protocol log, from its first 64 KB only:
 * the collect script copies days of logs next to the exports, and they are not read in full
 * just to be skipped.
 */
async function isProtocolLog(path: string): Promise<boolean> {
  let handle;
  try {
    handle = await open(path, 'r');
    const buffer = new Uint8Array(65536);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, bytesRead);
    // Gzip: the collect script's and the demo estate's compressed logs (no export is gzipped).
    if (head[0] === 0x1f && head[1] === 0x8b) return true;
    const { encoding, skip } = sniffEncoding(head);
    const text = new TextDecoder(encoding === 'utf-16be' ? 'utf-16le' : encoding).decode(
      encoding === 'utf-16be' ? swapPairs(head.subarray(skip)) : head.subarray(skip));
    return detectKind(makeSourceText(path, text.replace(/\r\n?/g, '\n'))) === 'protocol-log';
  } catch {
    return false; // unreadable here: the full read below reports it
  } finally {
    await handle?.close();
  }
}

/**
 * A file an option names (a script, scenarios, suppressions, users, a PEM), read like an INPUT:
 * relative to the working directory, refused above the same size before it is read, decoded
 * from UTF-8 or UTF-16 with or without BOM.
 */
export function readOptionFile(io: Io, file: string): Promise<SourceText> {
  return readSource(resolve(io.cwd, file), file, OPTION_FILE_TOO_LARGE);
}

function swapPairs(bytes: Uint8Array): Uint8Array {
  const out = new Uint8Array(bytes.length - (bytes.length % 2));
  for (let i = 0; i + 1 < bytes.length; i += 2) { out[i] = bytes[i + 1] as number; out[i + 1] = bytes[i] as number; }
  return out;
}

export function formatWarning(w: ImportWarning): string {
  const where = w.file === '' ? '' : `${w.file}${w.line === null ? '' : `:${w.line}`}: `;
  return `exrelay: warning: ${where}${w.message}\n`;
}

export interface LoadOptions {
  /**
   * Log folders or files the command reads itself (`--logs`): a log below an INPUT directory that
   * one of them covers is not "skipped" (the collect script puts logs beside the exports).
   */
  logsReadElsewhere?: readonly string[];
}

/** Loads and merges INPUT... into one snapshot; prints one stderr line per warning. */
export async function loadSnapshot(inputs: readonly string[], io: Io, options: LoadOptions = {}): Promise<Snapshot> {
  const parts: Snapshot[] = [];
  const readElsewhere = (options.logsReadElsewhere ?? []).map((p) => resolve(io.cwd, p));
  const coveredByLogs = (path: string): boolean => readElsewhere.some((p) => path === p || path.startsWith(p.endsWith(sep) ? p : p + sep));
  for (const input of inputs) {
    const full = resolve(io.cwd, input);
    let info;
    try {
      info = await stat(full);
    } catch (error) {
      throw new InputError(input, null, `cannot read: ${errnoMessage(error)}`);
    }
    if (info.isDirectory()) {
      const logs: string[] = [];
      for (const file of await listFiles(full, input)) {
        if (await isProtocolLog(file.path)) { if (!coveredByLogs(file.path)) logs.push(file.shown); continue; }
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
      // One warning per log file while they are few; the collect script's log folders hold many.
      const why = 'not a supported export (an SMTP receive protocol log: read it with `exrelay logs`); skipped';
      const warnings: ImportWarning[] = logs.length <= 3
        ? logs.map((file) => ({ file, line: null, message: why }))
        : [{ file: input, line: null, message: `${logs.length} SMTP receive protocol log files skipped (not a supported export here: read them with \`exrelay logs\`), e.g. ${logs.slice(0, 3).join(', ')}` }];
      if (warnings.length > 0) parts.push({ ...emptyPart(), warnings });
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

/**
 * No false clean: input that yields no receive connector is not a clean estate (rules.md, "What
 * a finding may rest on"). Every command that reasons about connectors calls this first.
 */
export function requireConnectors(snapshot: Snapshot, inputs: readonly string[]): void {
  if (snapshot.connectors.length > 0) return;
  const found = [
    count(snapshot.servers.length, 'server'), count(snapshot.permissions.length, 'permission entry', 'permission entries'),
    count(snapshot.acceptedDomains.length, 'accepted domain'), count(snapshot.certificates.length, 'certificate'),
  ].filter((part) => part !== null);
  const why = found.length === 0
    ? 'no Exchange export found (exrelay collect-script writes the script that exports them)'
    : `found ${found.join(', ')} but no Get-ReceiveConnector export`;
  throw new NoConnectorsError(inputs.join(' '), why);
}

/** Bad input like any other (exit 2), worded as the contract words it. */
class NoConnectorsError extends InputError {
  constructor(inputs: string, why: string) { super(inputs, null, why); }
  override oneLine(): string { return `no receive connectors in ${this.file}: ${this.message}`; }
}

function count(n: number, one: string, many = `${one}s`): string | null {
  return n === 0 ? null : `${n} ${n === 1 ? one : many}`;
}

/** loadSnapshot for the commands that reason about connectors: no connector is exit 2. */
export async function loadConnectorSnapshot(inputs: readonly string[], io: Io, options: LoadOptions = {}): Promise<Snapshot> {
  const snapshot = await loadSnapshot(inputs, io, options);
  requireConnectors(snapshot, inputs);
  return snapshot;
}
