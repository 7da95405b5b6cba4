// `exrelay sandbox` as its own process group (so a test can SIGKILL it mid-load and restart it
// on the same capture directory), plus a raw SMTP client that records every reply line, and
// the capture-directory audit: every acknowledged id complete, nothing half-written visible.
import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { BIN, REPO_ROOT } from '../helpers/cli.js';

export const OPEN_RELAY = join(REPO_ROOT, 'fixtures/sandbox/open-relay-2019.snapshot.json');
export const SANDBOX_PORTS = [25, 465, 587, 717, 2525];

/** An offset whose five ports are free now (checked by binding them). */
export async function freeOffset(): Promise<number> {
  for (let attempt = 0; attempt < 30; attempt++) {
    const offset = 30000 + Math.floor(Math.random() * 25000);
    const servers: net.Server[] = [];
    try {
      for (const p of SANDBOX_PORTS) {
        const s = net.createServer();
        await new Promise<void>((resolve, reject) => { s.once('error', reject); s.listen(p + offset, '127.0.0.1', () => resolve()); });
        servers.push(s);
      }
      return offset;
    } catch { /* try another */ } finally {
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    }
  }
  throw new Error('no free port range');
}

export interface SandboxProcess {
  child: ChildProcess;
  port: number;
  stdout(): string;
  stderr(): string;
  exited: Promise<number | null>;
  /** Resident memory of the sandbox now, in MB (from /proc). */
  rssMb(): number;
  /** Peak resident memory so far, in MB (VmHWM). */
  peakMb(): number;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function startSandboxProcess(captureDir: string, offset: number, extra: string[] = [], exec: { command?: string; prefix?: string[] } = {}): Promise<SandboxProcess> {
  const args = [...(exec.prefix ?? []), ...(exec.command === undefined ? [] : [process.execPath]), BIN, 'sandbox', OPEN_RELAY, '--server', 'EX01',
    '--port-offset', String(offset), '--capture', captureDir, ...extra];
  const child = spawn(exec.command ?? process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  let err = '';
  // Drained: a full pipe would stall the sandbox and look like a hang.
  child.stdout?.setEncoding('utf8').on('data', (d: string) => { out += d; });
  child.stderr?.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const group = child.pid as number;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL'): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try { process.kill(-group, signal); } catch { /* already gone */ }
    await exited;
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${out} ${err}`)), 30000);
      const check = (): void => {
        if (out.split('\n').filter((l) => l.startsWith('listening ')).length >= SANDBOX_PORTS.length) { clearTimeout(timer); resolve(); }
      };
      child.stdout?.on('data', check);
      void exited.then((code) => { clearTimeout(timer); reject(new Error(`sandbox exited ${String(code)}: ${out} ${err}`)); });
    });
  } catch (error) {
    await kill();
    throw error;
  }
  // The node process itself (under strace it is a child of the group leader).
  const nodePid = (): number => {
    if (exec.command === undefined) return group;
    for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
        if (cmd[0] === process.execPath && cmd.includes('sandbox') && stat.split(' ')[4] === String(group)) return Number(pid);
      } catch { /* gone */ }
    }
    return group;
  };
  const status = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(readFileSync(`/proc/${nodePid()}/status`, 'utf8'));
    return Number(m?.[1] ?? '0') / 1024;
  };
  return { child, port: 25 + offset, stdout: () => out, stderr: () => err, exited, rssMb: () => status('VmRSS'), peakMb: () => status('VmHWM'), kill };
}

/** A raw client: writes bytes as given and keeps every reply line (CRLF-split). */
export class WireClient {
  readonly lines: string[] = [];
  private buffer = '';
  private waiters: Array<() => void> = [];
  closed = false;

  private constructor(readonly socket: net.Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => {
      this.buffer += d;
      let i: number;
      while ((i = this.buffer.indexOf('\r\n')) !== -1) { this.lines.push(this.buffer.slice(0, i)); this.buffer = this.buffer.slice(i + 2); }
      this.wake();
    });
    const end = (): void => { this.closed = true; this.wake(); };
    socket.on('close', end);
    socket.on('error', end);
  }

  static open(port: number): Promise<WireClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => resolve(new WireClient(socket)));
      socket.once('error', reject);
    });
  }

  private wake(): void { for (const w of this.waiters.splice(0)) w(); }

  /** Waits until `count` complete replies (final lines `NNN ` ) have arrived in total, or the connection closed. */
  async replies(count: number, timeoutMs = 20000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    const finals = (): string[] => this.lines.filter((l) => /^\d{3}( |$)/.test(l));
    while (finals().length < count && !this.closed) {
      if (Date.now() > deadline) throw new Error(`waiting for ${count} replies, have: ${JSON.stringify(this.lines)}`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 200); });
    }
    return finals();
  }

  /** Waits for the server to close the connection. */
  async waitClosed(timeoutMs = 10000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 200); });
    return this.closed;
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve) => { if (this.closed) { resolve(); return; } this.socket.write(data, () => resolve()); });
  }

  /** Sends a command and returns its (final) reply line. */
  async command(line: string): Promise<string> {
    const have = this.lines.filter((l) => /^\d{3}( |$)/.test(l)).length;
    await this.write(`${line}\r\n`);
    const finals = await this.replies(have + 1);
    return finals[have] ?? '(closed)';
  }

  close(): void { this.socket.destroy(); }
}

/** The numeric InternalId of a final `250 2.6.0 <…> [InternalId=N, …] Queued mail for delivery`. */
export function queuedId(line: string): string | null {
  return /^250 .*InternalId=(\d+)/.exec(line)?.[1] ?? null;
}

export interface CaptureAudit {
  /** Ids with both files, complete and parseable. */
  complete: Set<string>;
  /** Captures that are not complete: bad JSON, wrong id, fewer bytes than the envelope's size. */
  broken: string[];
  /**
   * `<id>.eml` without `<id>.json`: a kill between the two renames. The .eml is renamed first and
   * the 250 follows both, so such a message was never acknowledged; `<id>.json` marks a capture.
   */
  orphans: string[];
  /** Temporary files (dot-names) left by a kill: never visible as captures. */
  temporary: string[];
}

/** Checks every capture in `dir`: `<id>.json` parses, names its id, and its `.eml` holds `size` bytes of message. */
export function auditCapture(dir: string, marker?: (id: string, eml: Buffer) => boolean): CaptureAudit {
  const names = readdirSync(dir);
  const present = new Set(names);
  // The lock file of the sandbox that owns the directory is neither a capture nor left over.
  const audit: CaptureAudit = { complete: new Set(), broken: [], orphans: [], temporary: names.filter((n) => n.startsWith('.') && n !== '.exrelay-sandbox.lock') };
  for (const name of names) {
    if (name.startsWith('.')) continue;
    const m = /^(\d+)\.(eml|json)$/.exec(name);
    if (m === null) { audit.broken.push(name); continue; }
    if (m[2] === 'eml') {
      if (!present.has(`${m[1]}.json`)) audit.orphans.push(name);
      continue;
    }
    const id = m[1] as string;
    try {
      const envelope = JSON.parse(readFileSync(join(dir, name), 'utf8')) as { id?: unknown; size?: unknown };
      const eml = readFileSync(join(dir, `${id}.eml`));
      // The .eml is the Received header the server added, then the `size` bytes of the message.
      if (envelope.id !== id || typeof envelope.size !== 'number' || eml.length < envelope.size
        || (marker !== undefined && !marker(id, eml))) audit.broken.push(name);
      else audit.complete.add(id);
    } catch {
      audit.broken.push(name);
    }
  }
  return audit;
}
