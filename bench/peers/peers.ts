// The servers a user would run instead of `exrelay sandbox`, started the way the bench needs
// them: each on a free loopback port, with a way to count what it kept and to read its peak
// memory. Tools that are not installed give a reason instead of a peer (CI installs them all).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startPostfix, waitForPort } from '../../test/helpers/postfix.js';

export interface Peer {
  name: string;
  port: number;
  /** messages it kept (files it wrote, or deliveries its log shows); null: nothing to count */
  kept(): Promise<number | null>;
  /** peak resident memory of its process so far, in MB (null: several processes, not measured) */
  peakRssMb(): number | null;
  /** CPU time its process has used so far (user + system, all threads), in ms (null: several processes, not measured) */
  cpuMs(): number | null;
  stop(): Promise<void>;
}

export type Started = { peer: Peer } | { skipped: string };

const EXRELAY = fileURLToPath(new URL('../../bin/exrelay', import.meta.url));
const MAILDEV = fileURLToPath(new URL('../../node_modules/.bin/maildev', import.meta.url));

export function tool(name: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin']) if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
  return null;
}

/** VmHWM of a process (its peak resident set), in MB. */
function peakOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m === null ? null : Number(m[1]) / 1024;
  } catch { return null; }
}

/** utime + stime of a process (all its threads), in ms. */
function cpuOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    // The fields after the command name, which is in parentheses and may hold spaces.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    return (ticks * 1000) / CLOCK_TICKS;
  } catch { return null; }
}

/** The kernel's clock ticks per second for /proc/PID/stat (USER_HZ, 100 on Linux). */
const CLOCK_TICKS = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout.trim()) || 100;

async function emlCount(dir: string): Promise<number> {
  return (await readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith('.eml')).length;
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });
}

/** The first match of `pattern` on the child's output, or null if it exits first. */
function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray | null> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const done = (result: RegExpExecArray | null): void => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      resolve(result);
    };
    const timer = setTimeout(() => { child.stdout?.off('data', onData); child.off('exit', onExit); reject(new Error(`timed out waiting for ${pattern}: ${seen}`)); }, timeoutMs);
    const onData = (d: Buffer): void => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m !== null) done(m);
    };
    const onExit = (): void => done(null);
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => { seen += d.toString(); });
    child.once('exit', onExit);
  });
}

const randomOffset = (): number => 20000 + Math.floor(Math.random() * 20000);

/** `exrelay sandbox` as users start it, capturing every message; an offset whose ports are taken is tried again. */
/** `extra`: more sandbox options (`--capture-sync`). */
export async function startSandbox(snapshot: string, captureDir: string, extra: readonly string[] = []): Promise<Started> {
  for (let attempt = 0; ; attempt++) {
    const child = spawn(process.execPath, [EXRELAY, 'sandbox', snapshot, '--server', 'EX01', '--client-ip', '192.0.2.5',
      '--port-offset', String(randomOffset()), '--capture', captureDir, ...extra], { stdio: ['ignore', 'pipe', 'pipe'] });
    const m = await waitForLine(child, /listening [^ ]+:(\d+) for EX01 port 25\r?\n/, 60000);
    if (m !== null) {
      return { peer: { name: ['exrelay sandbox', ...extra].join(' '), port: Number(m[1]), kept: () => emlCount(captureDir), peakRssMb: () => peakOf(child.pid), cpuMs: () => cpuOf(child.pid), stop: () => stopChild(child) } };
    }
    if (attempt >= 4) throw new Error('exrelay sandbox did not start (ports in use?)');
  }
}

/** Postfix's smtp-sink: reads every message and throws it away (the ceiling of the SMTP exchange itself). */
export async function startSink(): Promise<Started> {
  const sink = tool('smtp-sink');
  if (sink === null) return { skipped: 'smtp-sink is not installed (apt-get install postfix)' };
  const port = randomOffset() + 25;
  // backlog 1024: the 1,000-session run connects all at once
  const child = spawn(sink, ['-u', 'nobody', `127.0.0.1:${port}`, '1024'], { stdio: 'ignore' });
  await waitForPort(port);
  return { peer: { name: 'smtp-sink', port, kept: () => Promise.resolve(null), peakRssMb: () => peakOf(child.pid), cpuMs: () => cpuOf(child.pid), stop: () => stopChild(child) } };
}

/**
 * Real Postfix with the configuration `exrelay emit postfix` writes for the same server, as a
 * private instance (its own queue, discard for every delivery: test/helpers/postfix.ts). Its
 * queue is durable: cleanup fsyncs each queue file before smtpd answers 250.
 */
export async function startPostfixPeer(snapshot: string, workDir: string): Promise<Started> {
  const postfix = tool('postfix');
  const postconf = tool('postconf');
  if (postfix === null || postconf === null) return { skipped: 'postfix is not installed (apt-get install postfix)' };
  const offset = randomOffset();
  const config = join(workDir, 'etc');
  const emitted = spawnSync(process.execPath, [EXRELAY, 'emit', 'postfix', snapshot, '--server', 'EX01', '--out', config, '--listen', '127.0.0.1',
    '--port-offset', String(offset)], { encoding: 'utf8' });
  if (emitted.status !== 0) throw new Error(`exrelay emit postfix failed: ${emitted.stderr}`);
  const instance = await startPostfix(postfix, postconf, config, workDir);
  const port = 25 + offset;
  await waitForPort(port);
  const maillog = join(workDir, 'log', 'maillog');
  return {
    peer: {
      name: 'Postfix (emitted configuration)',
      port,
      // cleanup logs each message it queued durably; the discard transport then logs it sent
      kept: async () => (await readFile(maillog, 'utf8').catch(() => '')).split('\n').filter((l) => /postfix\/cleanup\[\d+\]: [0-9A-F]+: message-id=/.test(l)).length,
      peakRssMb: () => null,
      cpuMs: () => null,
      stop: () => instance.stop(),
    },
  };
}

/** MailDev (a pinned devDependency), keeping every message as a file in `dir`, its web interface off. */
export async function startMailDev(dir: string): Promise<Started> {
  if (!existsSync(MAILDEV)) return { skipped: 'maildev is not installed (npm ci installs the devDependencies)' };
  await mkdir(dir, { recursive: true });
  const port = randomOffset() + 25;
  const child = spawn(process.execPath, [MAILDEV, '--smtp', String(port), '--ip', '127.0.0.1', '--disable-web', '--mail-directory', dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForPort(port, 60000);
  return { peer: { name: 'MailDev', port, kept: () => emlCount(dir), peakRssMb: () => peakOf(child.pid), cpuMs: () => cpuOf(child.pid), stop: () => stopChild(child) } };
}
