// A line-oriented SMTP client for exact transcripts: one command, one (possibly multi-line) reply.
import { connect, type Socket } from 'node:net';

/** A line-oriented SMTP client for exact replies (multi-line replies joined). */
export class SmtpLineClient {
  private buffer = '';
  private waiting: Array<(line: string | null) => void> = [];
  private lines: string[] = [];
  private closed = false;
  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      let i: number;
      while ((i = this.buffer.indexOf('\r\n')) !== -1) {
        this.lines.push(this.buffer.slice(0, i));
        this.buffer = this.buffer.slice(i + 2);
      }
      this.flush();
    });
    const end = () => { this.closed = true; this.flush(); };
    socket.on('close', end);
    socket.on('error', end);
  }

  static open(port: number, host = '127.0.0.1'): Promise<SmtpLineClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host }, () => resolve(new SmtpLineClient(socket)));
      socket.once('error', reject);
    });
  }

  private flush(): void {
    while (this.waiting.length > 0 && (this.lines.length > 0 || this.closed)) {
      const next = this.waiting.shift() as (line: string | null) => void;
      next(this.lines.shift() ?? null);
    }
  }

  /** The next line, `null` once the server closed; a server silent for `timeoutMs` is an error. */
  private nextLine(timeoutMs: number): Promise<string | null> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = this.waiting.filter((w) => w !== settle);
        reject(new Error(`no reply within ${timeoutMs} ms (received so far: ${JSON.stringify(this.buffer)})`));
      }, timeoutMs);
      const settle = (line: string | null): void => { clearTimeout(timer); resolve(line); };
      this.waiting.push(settle);
      this.flush();
    });
  }

  /** Reads one reply; `null` when the server closed the connection. */
  async reply(timeoutMs = 15000): Promise<{ code: number; text: string } | null> {
    const parts: string[] = [];
    for (;;) {
      const line = await this.nextLine(timeoutMs);
      if (line === null) return null;
      parts.push(line.slice(4));
      if (line[3] !== '-') return { code: Number.parseInt(line.slice(0, 3), 10), text: parts.join('\n') };
    }
  }

  async command(line: string): Promise<{ code: number; text: string } | null> {
    if (this.closed) return null;
    this.socket.write(`${line}\r\n`);
    return this.reply();
  }

  close(): void { this.socket.destroy(); }
}

