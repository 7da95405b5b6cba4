// The capture directory: the sandbox's only "delivery". Every accepted message becomes
// <id>.eml (as received, with the Received header the server added) and <id>.json (its
// envelope), both written under temporary dot-names, fsynced, and renamed into place before the
// final 250 is sent, so a reader never sees half a message and a 250 always has its files.
// The .eml is renamed first: a <id>.json on disk means the message beside it is complete.
import { mkdir, open, rename, rm, stat, type FileHandle } from 'node:fs/promises';
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

export class CaptureStore {
  private sequence = 0n;
  private readonly base: bigint;

  private constructor(readonly dir: string) {
    // Ids are decimal, time-ordered and unique per directory: they double as Exchange's
    // numeric InternalId in the final reply.
    this.base = BigInt(Date.now()) * 10000n;
  }

  static async open(dir: string): Promise<CaptureStore> {
    await mkdir(dir, { recursive: true });
    return new CaptureStore(dir);
  }

  /** Starts a message; the id is reserved by creating its temporary file exclusively. */
  async begin(): Promise<CaptureWriter> {
    for (;;) {
      const id = (this.base + this.sequence++).toString();
      if (await exists(join(this.dir, `${id}.eml`))) continue;
      try {
        const handle = await open(join(this.dir, `.${id}.eml.tmp`), 'wx');
        return new CaptureWriter(this.dir, id, handle);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
    }
  }
}

export class CaptureWriter {
  private bytes = 0;
  private closed = false;

  constructor(private readonly dir: string, readonly id: string, private readonly handle: FileHandle) {}

  get size(): number { return this.bytes; }

  /** Appends bytes that are part of the file (the Received header, then the message). */
  async write(chunk: Buffer | string): Promise<void> {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk;
    let offset = 0;
    while (offset < buffer.length) {
      const { bytesWritten } = await this.handle.write(buffer, offset, buffer.length - offset);
      offset += bytesWritten;
    }
    this.bytes += buffer.length;
  }

  /** Makes the message durable and visible: fsync, envelope, renames, directory fsync. */
  async commit(envelope: CaptureEnvelope): Promise<void> {
    const emlTemp = join(this.dir, `.${this.id}.eml.tmp`);
    const jsonTemp = join(this.dir, `.${this.id}.json.tmp`);
    await this.handle.sync();
    await this.handle.close();
    this.closed = true;
    const json = await open(jsonTemp, 'wx');
    try {
      await json.writeFile(stableStringify(envelope));
      await json.sync();
    } finally {
      await json.close();
    }
    await rename(emlTemp, join(this.dir, `${this.id}.eml`));
    await rename(jsonTemp, join(this.dir, `${this.id}.json`));
    await syncDirectory(this.dir);
  }

  /** Drops a message that was not accepted. */
  async abort(): Promise<void> {
    if (!this.closed) {
      this.closed = true;
      await this.handle.close().catch(() => undefined);
    }
    await rm(join(this.dir, `.${this.id}.eml.tmp`), { force: true });
  }
}

async function exists(path: string): Promise<boolean> {
  try { await stat(path); return true; } catch { return false; }
}

async function syncDirectory(dir: string): Promise<void> {
  // A rename is durable only once the directory is; some filesystems refuse to fsync a
  // directory handle (EINVAL/EISDIR), and then there is nothing more to do.
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
