// Test helpers for the sandbox: start it on 127.0.0.1 port 0, and talk raw SMTP to it.
import net from 'node:net';
import tls from 'node:tls';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '../../src/model.js';
import { startSandbox, type Sandbox, type SandboxOptions } from '../../src/sandbox/server.js';

export const FIXTURES = fileURLToPath(new URL('../../fixtures/sandbox/', import.meta.url));

export async function loadFixture(name: string): Promise<Snapshot> {
  return JSON.parse(await readFile(join(FIXTURES, name), 'utf8')) as Snapshot;
}

export interface Started { sandbox: Sandbox; dir: string; portOf(exchangePort: number): number; stop(): Promise<void> }

export async function start(snapshot: Snapshot, overrides: Partial<SandboxOptions> = {}): Promise<Started> {
  const dir = await mkdtemp(join(tmpdir(), 'exrelay-sandbox-'));
  const sandbox = await startSandbox({
    snapshot, server: 'EX01', host: '127.0.0.1', portFor: () => 0, clientIp: null, xclient: true, proxyProtocol: false,
    trustProxy: [], users: [], captureDir: join(dir, 'capture'), protocolLogDir: null, flavor: null, tarpit: false, certificate: null,
    ...overrides,
  });
  return {
    sandbox, dir,
    portOf(exchangePort) {
      const l = sandbox.listeners.find((x) => x.exchangePort === exchangePort);
      if (l === undefined) throw new Error(`no listener for ${exchangePort}`);
      return l.port;
    },
    async stop() { await sandbox.close(); await rm(dir, { recursive: true, force: true }); },
  };
}

/** A plain-socket SMTP client that reads whole replies (all lines of a multi-line one). */
export class RawClient {
  private buffer = '';
  private waiters: Array<() => void> = [];
  private socket: net.Socket | tls.TLSSocket;
  closed = false;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    this.attach(socket);
  }

  private attach(socket: net.Socket | tls.TLSSocket): void {
    socket.setEncoding('latin1');
    socket.on('data', (d: string) => { this.buffer += d; this.wake(); });
    socket.on('close', () => { this.closed = true; this.wake(); });
    socket.on('error', () => { this.closed = true; this.wake(); });
  }

  private wake(): void { for (const w of this.waiters.splice(0)) w(); }

  static connect(port: number, prefix?: Buffer): Promise<RawClient> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: '127.0.0.1', port }, () => {
        if (prefix !== undefined) socket.write(prefix);
        resolve(new RawClient(socket));
      });
      socket.once('error', reject);
    });
  }

  /** Next complete reply as its lines (`250-a`, `250 b`). */
  async reply(timeoutMs = 10000): Promise<string[]> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const lines = this.buffer.split('\r\n');
      for (let i = 0; i < lines.length - 1; i++) {
        if (/^\d{3} /.test(lines[i] ?? '') || /^\d{3}$/.test(lines[i] ?? '')) {
          const out = lines.slice(0, i + 1);
          this.buffer = lines.slice(i + 1).join('\r\n');
          return out;
        }
      }
      if (this.closed) throw new Error(`connection closed; unread: ${JSON.stringify(this.buffer)}`);
      if (Date.now() > deadline) throw new Error(`no reply; buffer: ${JSON.stringify(this.buffer)}`);
      await new Promise<void>((resolve) => { this.waiters.push(resolve); setTimeout(resolve, 50); });
    }
  }

  async line(timeoutMs?: number): Promise<string> { return (await this.reply(timeoutMs)).join('\r\n'); }

  write(text: string | Buffer): void { this.socket.write(text); }

  async command(text: string): Promise<string> { this.write(`${text}\r\n`); return this.line(); }

  async startTls(servername?: string): Promise<tls.TLSSocket> {
    const raw = this.socket;
    raw.removeAllListeners('data');
    raw.removeAllListeners('close');
    const secure = tls.connect({ socket: raw, rejectUnauthorized: false, ...(servername === undefined ? {} : { servername }) });
    await new Promise<void>((resolve, reject) => { secure.once('secureConnect', () => resolve()); secure.once('error', reject); });
    this.socket = secure;
    this.attach(secure);
    return secure;
  }

  /** Resolves when the server has closed the connection. */
  async closedByServer(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (!this.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    return this.closed;
  }

  end(): void { this.socket.destroy(); }
}

/** Strips the variable part of a banner (the date) for comparisons. */
export function withoutDate(line: string): string {
  return line.replace(/ready at .*$/, 'ready at <date>');
}
