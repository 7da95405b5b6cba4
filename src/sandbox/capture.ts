// The capture directory: the sandbox's only "delivery". Every accepted message becomes
// <id>.eml (as received, with the Received header the server added) and <id>.json (its
// envelope), both written under temporary dot-names, synced to disk, and renamed into place before the
// final 250 is sent, so a reader never sees half a message and a 250 always has its files.
// The .eml is renamed first: a <id>.json on disk means the message beside it is complete.
// A message is held in memory until it is accepted (large ones spill to their temporary file),
// so a rejected message costs no disk work.
//
// One sandbox at a time owns a capture directory (the lock file .exrelay-sandbox.lock holds its
// process id): ids are made from the clock and must not collide, and on start the owner tidies
// what a killed run left — temporary files, and an <id>.eml whose <id>.json never followed.
// Neither was acknowledged (the 250 waits for both names), so the client sent it again.
//
// Commits are grouped: an accepted message's temporary files are created and written at once,
// without waiting for the disk; the messages whose files are written while a flush is running
// (or in the same turn of the event loop) make the next batch, which syncs every one of its
// files in parallel (fdatasync on libuv's pool), renames them into place and then syncs the
// directory once for the whole batch; only then do its commits resolve and the 250s go out.
// A sync costs about the same for one file as for many at once, so the disk's sync rate no
// longer caps the message rate.
import { closeSync, constants, fdatasync, open as openCallback, renameSync, rmSync, writevSync } from 'node:fs';
import { mkdir, open, readdir, readFile, rm, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { errnoMessage, InputError } from '../errors.js';
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
  /** Negotiated TLS version and cipher (`TLSv1.2`, an IANA cipher name), null without TLS. */
  tlsProtocol: string | null;
  tlsCipher: string | null;
  /** The AUTH mechanism the session logged on with, null when anonymous. */
  authMechanism: string | null;
  /** Exchange's local endpoint as the protocol log writes it (`10.0.0.11:25`; `0.0.0.0:25` when the server address is unknown). */
  localEndpoint: string;
  /** MAIL FROM parameters as the client gave them (`SIZE`, `BODY`, …; `true` for a keyword without value). */
  mailParameters: Record<string, string | true>;
  /** ISO 8601 UTC time the message was accepted. */
  time: string;
}

/** Messages up to this size are kept in memory and written in one call at commit. */
const MEMORY_LIMIT = 8 * 1024 * 1024;
/**
 * All unfinished messages together hold at most this much in memory; beyond it each message
 * spills to its temporary file as it arrives. Many slow senders therefore cost disk, not
 * memory: the sandbox's memory stays bounded whatever the number of open transactions.
 */
const MEMORY_BUDGET = 32 * 1024 * 1024;

/** Bytes held in memory by the unfinished messages of one store. */
class MemoryBudget {
  used = 0;
  take(bytes: number): void { this.used += bytes; }
  give(bytes: number): void { this.used = Math.max(0, this.used - bytes); }
  get exhausted(): boolean { return this.used >= MEMORY_BUDGET; }
}
/** A new file, never an existing one. Durability comes from the batch's fdatasync, not O_DSYNC. */
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;
/** Messages per flush at most, so one batch cannot hold the libuv pool for long. */
const MAX_BATCH = 256;

/** Names the sandbox itself writes in a capture directory. */
const LOCK_NAME = '.exrelay-sandbox.lock';
const CAPTURE_NAME = /^(\d+)\.(eml|json)$/;
const TEMPORARY_NAME = /^\.(\d+)\.(eml|json)\.tmp$/;

export class CaptureStore {
  private sequence = 0n;
  private base: bigint;
  private readonly group: GroupCommit;
  private readonly budget = new MemoryBudget();

  /** `unfinishedRemoved`: messages a killed run left unfinished (never acknowledged) that opening removed. */
  private constructor(readonly dir: string, highest: bigint, private readonly lock: string, readonly unfinishedRemoved: number) {
    // Ids are decimal, time-ordered and unique per directory: they double as Exchange's
    // numeric InternalId in the final reply. A directory that already holds later ids (a clock
    // set back) continues after them.
    const fromClock = BigInt(Date.now()) * 10000n;
    this.base = fromClock > highest ? fromClock : highest + 1n;
    this.group = new GroupCommit(dir);
  }

  static async open(dir: string): Promise<CaptureStore> {
    try {
      await mkdir(dir, { recursive: true });
    } catch (error) {
      throw new InputError(dir, null, `cannot use as the capture directory: ${errnoMessage(error)}`);
    }
    const lock = await takeLock(dir);
    let highest = -1n;
    const names = await readdir(dir);
    const present = new Set(names);
    const unfinished = new Set<string>();
    try {
      for (const name of names) {
        const capture = CAPTURE_NAME.exec(name);
        const temporary = TEMPORARY_NAME.exec(name);
        const id = capture?.[1] ?? temporary?.[1];
        if (id === undefined) continue;
        if (BigInt(id) > highest) highest = BigInt(id);
        if (temporary !== null || (capture?.[2] === 'eml' && !present.has(`${id}.json`))) {
          await rm(join(dir, name), { force: true });
          unfinished.add(id);
        }
      }
    } catch (error) {
      await rm(lock, { force: true });
      throw error;
    }
    return new CaptureStore(dir, highest, lock, unfinished.size);
  }

  /** Gives the directory up (the commits in flight are the sandbox's to wait for). */
  async close(): Promise<void> {
    await rm(this.lock, { force: true });
  }

  /** Starts a message; nothing touches the disk before commit unless the message is large. */
  begin(): CaptureWriter {
    const id = (this.base + this.sequence++).toString();
    return new CaptureWriter(this.dir, id, this.group, this.budget);
  }
}

export class CaptureWriter {
  private bytes = 0;
  private chunks: Buffer[] = [];
  private buffered = 0;
  private handle: FileHandle | null = null;
  private done = false;

  constructor(private readonly dir: string, readonly id: string, private readonly group: GroupCommit, private readonly budget: MemoryBudget = new MemoryBudget()) {}

  /** Drops the in-memory chunks and gives their bytes back to the budget. */
  private release(): Buffer[] {
    const chunks = this.chunks;
    this.budget.give(this.buffered);
    this.chunks = [];
    this.buffered = 0;
    return chunks;
  }

  get size(): number { return this.bytes; }

  private get emlTemp(): string { return join(this.dir, `.${this.id}.eml.tmp`); }
  private get jsonTemp(): string { return join(this.dir, `.${this.id}.json.tmp`); }

  /** Appends bytes that are part of the file (the Received header, then the message). */
  async write(chunk: Buffer | string): Promise<void> {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    this.bytes += buffer.length;
    this.chunks.push(buffer);
    this.buffered += buffer.length;
    this.budget.take(buffer.length);
    if (this.buffered >= MEMORY_LIMIT || this.budget.exhausted) await this.spill();
  }

  private async spill(): Promise<void> {
    this.handle ??= await open(this.emlTemp, CREATE);
    await writeAll(this.handle, this.release());
  }

  /**
   * Makes the message durable and visible: resolves once both files are synced, renamed into
   * place and the directory synced (with the other messages of the same batch).
   */
  async commit(envelope: CaptureEnvelope): Promise<void> {
    if (this.done) throw new Error('capture: message already finished');
    this.done = true;
    let files: Array<number | FileHandle>;
    try {
      files = await this.writeTemporary(Buffer.from(stableStringify(envelope)));
    } catch (error) {
      await this.discard();
      throw error;
    }
    await this.group.commit(this, files);
  }

  /**
   * Step 1, as soon as the message is accepted (not waiting for a batch): both temporary files created (on libuv's pool: creating a file can cost the
   * kernel far more than writing 10 KB, and the event loop should not wait for it) and written
   * directly (a write into the page cache is cheaper than a pool round trip). A spilled
   * message's file is already open; its tail goes through the pool like the spill did.
   * Returns the open files, which still need their fdatasync and close (the batch's job).
   */
  async writeTemporary(json: Buffer): Promise<Array<number | FileHandle>> {
    const toSync: Array<number | FileHandle> = [];
    try {
      if (this.handle !== null) {
        const handle = this.handle;
        toSync.push(handle);
        this.handle = null;
        await writeAll(handle, this.release());
      } else {
        const fd = await createFile(this.emlTemp);
        toSync.push(fd);
        writeAllSync(fd, this.release());
      }
      const fd = await createFile(this.jsonTemp);
      toSync.push(fd);
      writeAllSync(fd, [json]);
      return toSync;
    } catch (error) {
      await closeAll(toSync);
      throw error;
    }
  }

  /** Batch step 2: the .eml, then the .json under their final names. */
  publish(): void {
    const eml = join(this.dir, `${this.id}.eml`);
    renameSync(this.emlTemp, eml);
    try {
      renameSync(this.jsonTemp, join(this.dir, `${this.id}.json`));
    } catch (error) {
      // Without its envelope the message was never captured: take the .eml back out of sight.
      rmSync(eml, { force: true });
      throw error;
    }
  }

  /** A commit that failed: no temporary file is left behind. */
  async discard(): Promise<void> {
    this.release();
    const handle = this.handle;
    this.handle = null;
    await handle?.close().catch(() => undefined);
    await rm(this.emlTemp, { force: true }).catch(() => undefined);
    await rm(this.jsonTemp, { force: true }).catch(() => undefined);
  }

  /** Drops a message that was not accepted. */
  async abort(): Promise<void> {
    this.release();
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

/**
 * Takes the directory's lock, or refuses with exit 2 while another live process holds it. A
 * lock whose process is gone (a kill) is taken over.
 */
async function takeLock(dir: string): Promise<string> {
  const path = join(dir, LOCK_NAME);
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      await writeFile(path, `${process.pid}\n`, { flag: 'wx' });
      return path;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw new InputError(dir, null, `cannot use as the capture directory: ${errnoMessage(error)}`);
    }
    const holder = Number((await readFile(path, 'utf8').catch(() => '')).trim());
    if (Number.isSafeInteger(holder) && holder > 0 && holder !== process.pid && isAlive(holder)) {
      throw new InputError(dir, null, `in use by another exrelay sandbox (process ${holder}); give each sandbox its own --capture directory, or remove ${LOCK_NAME} there if no sandbox runs`);
    }
    await rm(path, { force: true });
  }
  throw new InputError(dir, null, `cannot take ${LOCK_NAME}: another process keeps creating it`);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

async function writeAll(handle: FileHandle, chunks: readonly Buffer[]): Promise<void> {
  let pending = chunks.filter((c) => c.length > 0);
  while (pending.length > 0) {
    const { bytesWritten } = await handle.writev(pending);
    pending = rest(pending, bytesWritten);
  }
}

function writeAllSync(fd: number, chunks: readonly Buffer[]): void {
  let pending = chunks.filter((c) => c.length > 0);
  while (pending.length > 0) pending = rest(pending, writevSync(fd, pending));
}

/** What is left of `chunks` after `written` bytes of them went out. */
function rest(chunks: readonly Buffer[], written: number): Buffer[] {
  let left = written;
  const out: Buffer[] = [];
  for (const c of chunks) {
    if (left >= c.length) { left -= c.length; continue; }
    out.push(left > 0 ? c.subarray(left) : c);
    left = 0;
  }
  return out;
}

function createFile(path: string): Promise<number> {
  return new Promise((resolve, reject) => { openCallback(path, CREATE, 0o666, (error, fd) => { if (error === null) resolve(fd); else reject(error); }); });
}

function datasync(file: number | FileHandle): Promise<void> {
  if (typeof file !== 'number') return file.datasync();
  return new Promise((resolve, reject) => { fdatasync(file, (error) => { if (error === null) resolve(); else reject(error); }); });
}

async function closeAll(files: ReadonlyArray<number | FileHandle>): Promise<void> {
  for (const file of files) {
    if (typeof file === 'number') { try { closeSync(file); } catch { /* already gone */ } } else await file.close().catch(() => undefined);
  }
}

interface Pending { writer: CaptureWriter; files: Array<number | FileHandle>; resolve: () => void; reject: (error: unknown) => void }

/**
 * Group commit of written temporary files. A commit that finds no flush running starts one at
 * the end of this turn of the event loop (so the messages finishing together share it); commits
 * arriving while a flush runs wait for the next one, which starts as soon as the running one ends. Under load a batch is
 * every message that finished during the previous flush; alone, a message waits for nothing.
 *
 * The short calls (write, close, rename: tens of microseconds each) run directly on the event
 * loop: a round trip through libuv's pool costs more than the call itself. File creation (whose
 * cost depends on the filesystem's state: on ext4 without a journal it can take milliseconds
 * after many deletions) and the calls that wait for the disk (fdatasync, the directory's fsync)
 * go to the pool, all of a batch's at once.
 */
class GroupCommit {
  private waiting: Pending[] = [];
  private running = false;

  constructor(private readonly dir: string) {}

  commit(writer: CaptureWriter, files: Array<number | FileHandle>): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ writer, files, resolve, reject });
      if (!this.running) {
        this.running = true;
        setImmediate(() => { void this.drain(); });
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) await this.flush(this.waiting.splice(0, MAX_BATCH));
    this.running = false;
  }

  private async flush(batch: Pending[]): Promise<void> {
    const failed = new Map<Pending, unknown>();
    // 1. Every temporary file (written when its message was accepted) synced, all in parallel.
    const synced: Pending[] = [];
    await Promise.all(batch.map(async (p) => {
      const files = p.files;
      try {
        await Promise.all(files.map(datasync));
        synced.push(p);
      } catch (error) {
        failed.set(p, error);
      } finally {
        await closeAll(files);
      }
    }));
    // 2. Every file's data is on disk before any name points at it; the renames are on disk
    //    (one directory sync for all of them) before any 250.
    const published: Pending[] = [];
    for (const p of synced) {
      try {
        p.writer.publish();
        published.push(p);
      } catch (error) {
        failed.set(p, error);
      }
    }
    if (published.length > 0) await syncDirectory(this.dir);
    for (const p of published) p.resolve();
    for (const [p, error] of failed) {
      await p.writer.discard();
      p.reject(error);
    }
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
