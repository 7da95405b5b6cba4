// Reads one piece of work (a whole file, a byte range of a plain file cut at line boundaries,
// or a gzip file) through a LogScanner (protocol logs) or a TrackingScanner (message tracking
// logs) with a fixed-size buffer: memory does not grow with the file. Shared by the in-process
// reader and the worker threads.
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { errnoMessage, InputError } from '../errors.js';
import type { LogFileKind, Reader } from './reader.js';
import { LogScanner, type ScanWarning } from './scan.js';
import { TrackingScanner, type TrackHeader } from './tracking.js';

export interface WorkItem {
  path: string;
  gzip: boolean;
  kind: LogFileKind;
  /** byte range [start, end) of a plain file; a range owns the lines that start inside it */
  start: number;
  end: number;
}

export interface ItemResult { lines: number; records: number; warnings: ScanWarning[] }

const BUFFER_BYTES = 4 << 20;
const HEADER_PROBE_BYTES = 64 * 1024;

/** What both scanners offer the byte loops below. */
interface Scanner {
  lines: number;
  records: number;
  readonly warnings: ScanWarning[];
  scan(buf: Buffer, start: number, end: number, final: boolean): number;
  finish(): void;
}

export async function readItem(item: WorkItem, reader: Reader, onBytes: (bytes: number) => void): Promise<ItemResult> {
  return item.gzip ? readGzip(item, reader, onBytes) : readRange(item, reader, onBytes);
}

/** A chunk that starts mid-file has not seen the header: take #Fields (and #Version) from the top of the file. */
async function headerOf(path: string): Promise<TrackHeader | undefined> {
  const fd = await open(path, 'r');
  try {
    const buf = Buffer.allocUnsafe(HEADER_PROBE_BYTES);
    const { bytesRead } = await fd.read(buf, 0, buf.length, 0);
    const text = buf.toString('utf8', 0, bytesRead);
    const m = /^[ \t\uFEFF]*#\s*Fields:\s*(.*?)\s*$/im.exec(text);
    const v = /^[ \t\uFEFF]*#\s*Version:\s*(.*?)\s*$/im.exec(text);
    return m === null ? undefined : { fields: (m[1] ?? '').split(',').map((f) => f.trim()), version: v === null ? null : v[1] ?? null };
  } finally {
    await fd.close();
  }
}

function scannerFor(item: WorkItem, reader: Reader, firstLine: number | null, header?: TrackHeader): Scanner {
  if (item.kind === 'tracking') return new TrackingScanner(reader.aggregate.tracking, item.path, firstLine, header);
  return new LogScanner(reader.table, item.path, firstLine, header?.fields);
}

async function readRange(item: WorkItem, reader: Reader, onBytes: (bytes: number) => void): Promise<ItemResult> {
  const header = item.start > 0 ? await headerOf(item.path) : undefined;
  const scanner = scannerFor(item, reader, item.start === 0 ? 1 : null, header);
  // Synchronous reads: this runs in a worker thread (or a CLI with nothing else to do), and a
  // read from the page cache is a copy; a thread-pool round trip per buffer costs more.
  let fd: number;
  try { fd = openSync(item.path, 'r'); } catch (error) {
    throw new InputError(item.path, null, `cannot read: ${errnoMessage(error)}`);
  }
  let buf = takeBuffer();
  try {
    // Start one byte early: if that byte ends a line, the range begins exactly on a line start.
    let fileOff = item.start > 0 ? item.start - 1 : 0;
    let skipping = item.start > 0;
    let have = 0;
    let reported = fileOff;
    for (;;) {
      if (have === buf.length) { // one line longer than the buffer: grow rather than cut it
        const bigger = Buffer.allocUnsafe(buf.length * 2);
        buf.copy(bigger, 0, 0, have);
        buf = bigger;
      }
      const bytesRead = readSync(fd, buf, have, buf.length - have, fileOff + have);
      have += bytesRead;
      const eof = bytesRead === 0;
      let p = 0;
      if (skipping) {
        const nl = buf.indexOf(10);
        if (nl < 0 || nl >= have) {
          if (eof) break;
          fileOff += have; have = 0;
          continue;
        }
        p = nl + 1;
        skipping = false;
      }
      const limit = item.end - fileOff; // lines starting before this index are ours
      if (p >= limit) break;
      let done = false;
      if (limit <= have) {
        const nl = buf.indexOf(10, Math.max(p, limit - 1));
        if (nl >= 0 && nl < have) { scanner.scan(buf, p, nl + 1, true); done = true; }
      }
      if (!done && eof) { scanner.scan(buf, p, have, true); done = true; }
      if (done) break;
      const used = scanner.scan(buf, p, have, false);
      buf.copy(buf, 0, used, have);
      fileOff += used;
      have -= used;
      onBytes(fileOff - reported);
      reported = fileOff;
    }
    onBytes(Math.max(0, item.end - reported));
    scanner.finish();
    return { lines: scanner.lines, records: scanner.records, warnings: scanner.warnings };
  } finally {
    closeSync(fd);
    spareBuffer = buf;
  }
}

// One read buffer per thread, reused from file to file: a new 4 MB buffer per file stays
// allocated until the collector finds it (tens of MB of peak RSS over a folder of logs).
let spareBuffer: Buffer | null = null;
function takeBuffer(): Buffer {
  const buf = spareBuffer ?? Buffer.allocUnsafe(BUFFER_BYTES);
  spareBuffer = null;
  return buf;
}

async function readGzip(item: WorkItem, reader: Reader, onBytes: (bytes: number) => void): Promise<ItemResult> {
  const scanner = scannerFor(item, reader, 1);
  const source = createReadStream(item.path, { highWaterMark: BUFFER_BYTES });
  const gunzip = createGunzip({ chunkSize: 256 * 1024 });
  source.pipe(gunzip);
  let reported = 0;
  let rest: Buffer | null = null;
  try {
    for await (const chunk of gunzip) {
      const data: Buffer = rest === null ? chunk as Buffer : Buffer.concat([rest, chunk as Buffer]);
      const used = scanner.scan(data, 0, data.length, false);
      rest = used < data.length ? data.subarray(used) : null;
      onBytes(source.bytesRead - reported);
      reported = source.bytesRead;
    }
  } catch (error) {
    source.destroy();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES') throw new InputError(item.path, null, `cannot read: ${code}`);
    throw new InputError(item.path, null, `damaged gzip data (${(error as Error).message}); ${scanner.lines} lines were read before it`);
  }
  if (rest !== null) scanner.scan(rest, 0, rest.length, true);
  scanner.finish();
  onBytes(Math.max(0, item.end - reported));
  return { lines: scanner.lines, records: scanner.records, warnings: scanner.warnings };
}
