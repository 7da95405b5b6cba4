// The capture directory: the sandbox's only "delivery". Every accepted message becomes
// <id>.eml (as received, with the Received header the server added) and <id>.json (its
// envelope), both written under temporary dot-names and renamed into place before the final 250
// is sent, so a reader never sees half a message and a 250 always has its files.
// The .eml is renamed first: a <id>.json on disk means the message beside it is complete.
// A message is held in memory until it is accepted (large ones spill to their temporary file),
// so a rejected message costs no disk work.
//
// Two durabilities, chosen when the store opens:
// - default ("written"): both files complete and renamed before the 250. The kernel holds the
//   data, so a crash or SIGKILL of the sandbox loses nothing acknowledged; a power loss may.
//   This is what a test mail catcher (MailDev) promises, and what the contract asks: written to
//   the capture directory before the 250.
// - `sync` (`--capture-sync`): additionally each file's fdatasync before its rename and a sync of
//   the directory after the renames, all before the 250: an acknowledged message survives a
//   power loss, as a message in Postfix's queue does.
//
// One sandbox at a time owns a capture directory (the lock file .exrelay-sandbox.lock holds its
// process id): ids are made from the clock and must not collide, and on start the owner tidies
// what a killed run left — temporary files, and an <id>.eml whose <id>.json never followed.
// Neither was acknowledged (the 250 waits for both names), so the client sent it again.
//
// With sync, each accepted message goes to disk at once, without waiting for the others: both
// temporary files are created and written, synced (fdatasync, both at once on libuv's pool),
// closed and renamed into place. Only the directory's sync is shared: the messages
// renamed while one directory sync runs (or in the same turn of the event loop) are made
// durable by the next one, and only then do their commits resolve and their 250s go out. So a
// message waits for no batch before its own data sync, and one directory sync covers every
// message that finished meanwhile.
import { closeSync, constants, fdatasync, fsync, openSync, renameSync, rmSync, writevSync } from 'node:fs';
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
/** A new file, never an existing one. With sync, durability comes from each file's fdatasync, not O_DSYNC. */
const CREATE = constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL;

/** Names the sandbox itself writes in a capture directory. */
const LOCK_NAME = '.exrelay-sandbox.lock';
const CAPTURE_NAME = /^(\d+)\.(eml|json)$/;
const TEMPORARY_NAME = /^\.(\d+)\.(eml|json)\.tmp$/;

export interface CaptureOptions {
  /**
   * Make every message durable against a power loss before its commit resolves (fdatasync of
   * both files before their renames, then a sync of the directory). Default false: the files
   * are complete and renamed, which a crash of the process does not undo.
   */
  sync?: boolean;
}

export class CaptureStore {
  private sequence = 0n;
  private base: bigint;
  private readonly group: DirectorySync | null;
  private readonly budget = new MemoryBudget();

  /** `unfinishedRemoved`: messages a killed run left unfinished (never acknowledged) that opening removed. */
  private constructor(readonly dir: string, highest: bigint, private readonly lock: string, readonly unfinishedRemoved: number, readonly sync: boolean) {
    // Ids are decimal, time-ordered and unique per directory: they double as Exchange's
    // numeric InternalId in the final reply. A directory that already holds later ids (a clock
    // set back) continues after them.
    const fromClock = BigInt(Date.now()) * 10000n;
    this.base = fromClock > highest ? fromClock : highest + 1n;
    this.group = sync ? new DirectorySync(dir) : null;
  }

  static async open(dir: string, options: CaptureOptions = {}): Promise<CaptureStore> {
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
    return new CaptureStore(dir, highest, lock, unfinished.size, options.sync === true);
  }

  /** Gives the directory up (the commits in flight are the sandbox's to wait for). */
  async close(): Promise<void> {
    this.group?.close();
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

  /** `group`: the directory sync to wait for (null: no sync, the files are written and renamed only). */
  constructor(private readonly dir: string, readonly id: string, private readonly group: DirectorySync | null, private readonly budget: MemoryBudget = new MemoryBudget()) {}

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
   * Makes the message visible: resolves once both files are complete and renamed into place;
   * with sync, once both were synced before their renames and the directory synced after them
   * (with the other messages renamed meanwhile).
   */
  async commit(envelope: CaptureEnvelope): Promise<void> {
    if (this.done) throw new Error('capture: message already finished');
    this.done = true;
    try {
      const files = await this.writeTemporary(Buffer.from(stableStringify(envelope)));
      try {
        // With sync, every byte on disk before any name points at it.
        if (this.group !== null) await Promise.all(files.map(datasync));
      } finally {
        await closeAll(files);
      }
      this.publish();
    } catch (error) {
      await this.discard();
      throw error;
    }
    // The renames on disk (one directory sync for all the messages renamed meanwhile) before the 250.
    await this.group?.sync();
  }

  /**
   * Both temporary files created and written directly on the event loop. Handing each creation
   * to libuv's pool cost more than it saved: under load the pool's queue of syncs delayed every
   * creation behind them, and each hand-off woke a thread that took the main thread's core
   * (profiled: most of the main thread's time under smtp-source was in those hand-offs). A
   * spilled message's file is already open; its tail goes through the pool like the spill did.
   * Returns the open files, which still need their close (and with sync, their fdatasync first).
   */
  private async writeTemporary(json: Buffer): Promise<Array<number | FileHandle>> {
    const open: Array<number | FileHandle> = [];
    try {
      if (this.handle !== null) {
        const spilled = this.handle;
        this.handle = null;
        open.push(spilled);
        await writeAll(spilled, this.release());
      } else {
        const eml = openSync(this.emlTemp, CREATE);
        open.push(eml);
        writeAllSync(eml, this.release());
      }
      const envelope = openSync(this.jsonTemp, CREATE);
      open.push(envelope);
      writeAllSync(envelope, [json]);
      return open;
    } catch (error) {
      await closeAll(open);
      throw error;
    }
  }

  /** The .eml, then the .json under their final names. */
  private publish(): void {
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

function datasync(file: number | FileHandle): Promise<void> {
  if (typeof file !== 'number') return file.datasync();
  return new Promise((resolve, reject) => { fdatasync(file, (error) => { if (error === null) resolve(); else reject(error); }); });
}

async function closeAll(files: ReadonlyArray<number | FileHandle>): Promise<void> {
  for (const file of files) {
    if (typeof file === 'number') { try { closeSync(file); } catch { /* already gone */ } } else await file.close().catch(() => undefined);
  }
}

/**
 * Group commit of the directory's sync. A message whose files are renamed into place asks for a
 * sync: with none running, one starts at the end of this turn of the event loop (so the
 * messages finishing together share it); while one runs, the request waits for the next, which
 * starts as soon as the running one ends and covers every rename made meanwhile. The directory
 * stays open for the store's life (one pool round trip per sync, not three).
 */
class DirectorySync {
  private waiting: Array<() => void> = [];
  private running = false;
  private closing = false;
  private fd: number | null;

  constructor(dir: string) {
    // Some filesystems refuse to open or fsync a directory; then the files' own syncs are all
    // there is to do.
    try { this.fd = openSync(dir, 'r'); } catch { this.fd = null; }
  }

  sync(): Promise<void> {
    if (this.fd === null) return Promise.resolve();
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      if (!this.running) {
        this.running = true;
        setImmediate(() => { void this.drain(); });
      }
    });
  }

  /** Closes the directory once the syncs already asked for are done. */
  close(): void {
    this.closing = true;
    if (!this.running) this.release();
  }

  private release(): void {
    if (this.fd !== null) { try { closeSync(this.fd); } catch { /* already gone */ } }
    this.fd = null;
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0 && this.fd !== null) {
      const batch = this.waiting;
      this.waiting = [];
      const fd = this.fd;
      // An error here (a filesystem that cannot sync a directory) leaves nothing more to do.
      await new Promise<void>((resolve) => { fsync(fd, () => { resolve(); }); });
      for (const resolve of batch) resolve();
    }
    this.running = false;
    if (this.closing) this.release();
  }
}
