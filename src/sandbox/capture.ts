// The capture directory: the sandbox's only "delivery". Every accepted message becomes
// <id>.eml (as received, with the Received header the server added) and <id>.json (its
// envelope), both written under temporary dot-names, synced to disk, and renamed into place before the
// final 250 is sent, so a reader never sees half a message and a 250 always has its files.
// The .eml is renamed first: a <id>.json on disk means the message beside it is complete.
// A message is held in memory until it is accepted (large ones spill to their temporary file),
// so a rejected message costs no disk work and an accepted one a handful of calls.
import { constants } from 'node:fs';
import { mkdir, open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { stableStringify } from '../json.js';

export interface CaptureEnvelope {
  id: string;
  /** `SERVER\Connector Name` that took the message. */
  connector: string;
  server: string;
  /** Exchange port the client reached (not the sandbox port). */
  port: number;
  /** The address the session was seen as (XCLIENT / PROXY / --client-ip / peer). */
  clientAddress: string;
  /** Which of those it was. */
  clientAddressOrigin: string;
  /** The real TCP peer. */
  peerAddress: string;
  helo: string | null;
  /** The Message-ID the final reply quotes (the message's own, or one made from the id). */
  messageId: string;
  authenticatedUser: string | null;
  tls: boolean;
  mailFrom: string;
  rcptTo: string[];
  /** Bytes of the message as the client sent it (without the added Received header). */
  size: number;
  /** DATA or BDAT */
  transfer: 'DATA' | 'BDAT';
  /** ISO 8601 UTC time the message was accepted. */
  time: string;
}

/** Messages up to this size are kept in memory and written in one call at commit. */
const MEMORY_LIMIT = 8 * 1024 * 1024;
/**
 * New file, never an existing one, and every write durable when it returns (O_DSYNC: the same
 * guarantee as write + fdatasync, one call less per file on the libuv pool).
 */
const CREATE_DURABLE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_DSYNC;

export class CaptureStore {
  private sequence = 0n;
  private base: bigint;
  private readonly dirSync: GroupSync;

  private constructor(readonly dir: string, highest: bigint) {
    // Ids are decimal, time-ordered and unique per directory: they double as Exchange's
    // numeric InternalId in the final reply. A directory that already holds later ids (a clock
    // set back) continues after them.
    const fromClock = BigInt(Date.now()) * 10000n;
    this.base = fromClock > highest ? fromClock : highest + 1n;
    this.dirSync = new GroupSync(dir);
  }

  static async open(dir: string): Promise<CaptureStore> {
    await mkdir(dir, { recursive: true });
    let highest = -1n;
    for (const name of await readdir(dir)) {
      const m = /^(\d+)\.(eml|json)$/.exec(name);
      if (m !== null && BigInt(m[1] ?? '0') > highest) highest = BigInt(m[1] ?? '0');
    }
    return new CaptureStore(dir, highest);
  }

  /** Starts a message; nothing touches the disk before commit unless the message is large. */
  begin(): CaptureWriter {
    const id = (this.base + this.sequence++).toString();
    return new CaptureWriter(this.dir, id, this.dirSync);
  }
}

export class CaptureWriter {
  private bytes = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private handle: FileHandle | null = null;
  private done = false;

  constructor(private readonly dir: string, readonly id: string, private readonly dirSync: GroupSync) {}

  get size(): number { return this.bytes; }

  private get emlTemp(): string { return join(this.dir, `.${this.id}.eml.tmp`); }

  /** Appends bytes that are part of the file (the Received header, then the message). */
  async write(chunk: Buffer | string): Promise<void> {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    this.bytes += buffer.length;
    this.chunks.push(buffer);
    this.buffered += buffer.length;
    if (this.buffered >= MEMORY_LIMIT) await this.spill();
  }

  private async spill(): Promise<void> {
    this.handle ??= await open(this.emlTemp, CREATE_DURABLE);
    const chunks = this.chunks;
    this.chunks = [];
    this.buffered = 0;
    await writeAll(this.handle, chunks);
  }

  /** Makes the message durable and visible: data written synchronously (O_DSYNC), envelope, renames, directory synced. */
  async commit(envelope: CaptureEnvelope): Promise<void> {
    const jsonTemp = join(this.dir, `.${this.id}.json.tmp`);
    await this.spill();
    const eml = this.handle;
    if (eml === null) throw new Error('capture: no file for the message');
    await eml.close();
    this.handle = null;
    const json = await open(jsonTemp, CREATE_DURABLE);
    try {
      await writeAll(json, [Buffer.from(stableStringify(envelope))]);
    } finally {
      await json.close();
    }
    await rename(this.emlTemp, join(this.dir, `${this.id}.eml`));
    await rename(jsonTemp, join(this.dir, `${this.id}.json`));
    this.done = true;
    await this.dirSync.sync();
  }

  /** Drops a message that was not accepted. */
  async abort(): Promise<void> {
    this.chunks = [];
    if (this.done) return;
    this.done = true;
    if (this.handle !== null) {
      const handle = this.handle;
      this.handle = null;
      await handle.close().catch(() => undefined);
      await rm(this.emlTemp, { force: true });
    }
  }
}

async function writeAll(handle: FileHandle, chunks: readonly Buffer[]): Promise<void> {
  let pending = chunks.filter((c) => c.length > 0);
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending);
    let left = bytesWritten;
    const rest: Buffer[] = [];
    for (const c of pending) {
      if (left >= c.length) { left -= c.length; continue; }
      rest.push(left > 0 ? c.subarray(left) : c);
      left = 0;
    }
    pending = rest;
  }
}

/**
 * Directory fsync with group commit: a rename is durable once its directory is, and one fsync
 * covers every rename done before it started. Callers that arrive while one runs share the next.
 */
class GroupSync {
  private running: Promise<void> | null = null;
  private queued: Promise<void> | null = null;

  constructor(private readonly dir: string) {}

  sync(): Promise<void> {
    if (this.running === null) {
      this.running = syncDirectory(this.dir).finally(() => { this.running = null; });
      return this.running;
    }
    this.queued ??= this.running.then(() => {
      this.queued = null;
      return this.sync();
    });
    return this.queued;
  }
}

async function syncDirectory(dir: string): Promise<void> {
  // Some filesystems refuse to fsync a directory handle (EINVAL/EISDIR); then there is
  // nothing more to do.
  let handle: FileHandle | null = null;
  try {
    handle = await open(dir, 'r');
    await handle.sync();
  } catch {
    // not supported here
  } finally {
    await handle?.close();
  }
}
