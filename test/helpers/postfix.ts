// A private, unprivileged-port Postfix instance for tests: its own config, queue and data
// directories, a log file instead of syslog, and `discard` for every delivery, so nothing a
// test sends is delivered anywhere. Facts: shared reference emitters-notes.md.
import { execFile } from 'node:child_process';
import { chmod, mkdir, readFile, rm } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface PostfixInstance {
  dir: string;
  /** What `postfix check` said: its output and the warning/fatal lines it logged. */
  check: { stdout: string; stderr: string; logged: string[] };
  stop(): Promise<void>;
}

/**
 * Turns an emitted configuration directory (`dir`, inside `workDir`) into a running test
 * instance. Queue, data and log live beside the configuration, not in it: postfix check wants
 * everything under config_directory owned by root, and the queue belongs to the postfix user.
 */
export async function startPostfix(postfix: string, postconf: string, dir: string, workDir: string): Promise<PostfixInstance> {
  const queue = join(workDir, 'queue');
  const data = join(workDir, 'data');
  const log = join(workDir, 'log');
  // The postfix user must reach the queue and data directories (mkdtemp makes 0700).
  await chmod(workDir, 0o755);
  await mkdir(queue, { recursive: true });
  await mkdir(data, { recursive: true });
  await mkdir(log, { recursive: true });
  await run('chown', ['postfix:postfix', data]);
  const settings = [
    `queue_directory=${queue}`,
    `data_directory=${data}`,
    `maillog_file=${join(log, 'maillog')}`,
    // postlogd refuses log files outside maillog_file_prefixes
    `maillog_file_prefixes=${log}`,
    'default_transport=discard', 'relay_transport=discard', 'local_transport=discard', 'virtual_transport=discard',
    'smtpd_authorized_xclient_hosts=127.0.0.0/8',
    'mail_owner=postfix', 'setgid_group=postdrop',
  ];
  await run(postconf, ['-c', dir, '-e', ...settings]);
  const checked = await run(postfix, ['-c', dir, 'check']);
  const logged = (await readFile(join(log, 'maillog'), 'utf8').catch(() => ''))
    .split('\n').filter((line) => /\b(warning|fatal|error):/.test(line));
  await run(postfix, ['-c', dir, 'start']);
  return {
    dir,
    check: { stdout: checked.stdout, stderr: checked.stderr, logged },
    async stop() {
      await run(postfix, ['-c', dir, 'stop']).catch(() => run(postfix, ['-c', dir, 'abort']).catch(() => undefined));
      // master may take a moment to release the queue; removal failures are not test failures
      await rm(workDir, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}

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

  private nextLine(): Promise<string | null> {
    return new Promise((resolve) => { this.waiting.push(resolve); this.flush(); });
  }

  /** Reads one reply; `null` when the server closed the connection. */
  async reply(): Promise<{ code: number; text: string } | null> {
    const parts: string[] = [];
    for (;;) {
      const line = await this.nextLine();
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

/** Waits until something accepts connections on the port (the master has bound it). */
export async function waitForPort(port: number, timeoutMs = 15000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const c = await SmtpLineClient.open(port);
      c.close();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}
