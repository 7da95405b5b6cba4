// Sandbox throughput against Postfix's own tools, measured in the same run on the same machine:
//   1. smtp-source (50 sessions, 20,000 messages of 10 KB) into smtp-sink — the baseline,
//      a server that reads and discards;
//   2. the same smtp-source run into the sandbox, which decides every step with the policy
//      engine and fsyncs each message to the capture directory before its 250;
//   printed as sandbox/sink (target >= 0.5x); then
//   3. the load check at full size: 200 concurrent sessions x 50 messages, every 250 in the
//      capture directory exactly once.
// BENCH_SCALE (default 1) scales the message counts. The sandbox runs in a child process (this
// file with the argument "serve"), with a larger libuv pool for the capture's file calls.
// The capture directories go under TMPDIR (os.tmpdir()). The figures depend on the machine's
// load (printed before and after) and on the filesystem: on ext4 without a journal, creating a
// file in a block group where many files were deleted in the last minutes (a busy /tmp, or this
// bench run again right after itself) costs the kernel up to milliseconds; TMPDIR=/var/tmp or a
// pause between runs shows the sandbox without that.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Snapshot } from '../src/model.js';
import { startSandbox } from '../src/sandbox/server.js';
import { runLoad } from '../test/sandbox/load-client.js';

const SNAPSHOT = fileURLToPath(new URL('../fixtures/sandbox/estate-2019.snapshot.json', import.meta.url));
const SCALE = Number(process.env.BENCH_SCALE ?? '1');

async function serve(captureDir: string): Promise<void> {
  const snapshot = JSON.parse(await readFile(SNAPSHOT, 'utf8')) as Snapshot;
  const sandbox = await startSandbox({
    snapshot, server: 'EX01', host: '127.0.0.1', portFor: () => 0, clientIp: '192.0.2.5', xclient: false, proxyProtocol: false,
    trustProxy: [], users: [], captureDir, protocolLogDir: null, flavor: null, tarpit: false, certificate: null,
  });
  const port = sandbox.listeners.find((l) => l.exchangePort === 25)?.port;
  process.stdout.write(`port ${port}\n`);
  process.once('SIGTERM', () => { void sandbox.close().then(() => process.exit(0)); });
}

function tool(name: string): string | null {
  for (const dir of ['/usr/sbin', '/usr/bin', '/sbin']) if (spawnSync('test', ['-x', `${dir}/${name}`]).status === 0) return `${dir}/${name}`;
  return null;
}

function freePort(): number {
  return 20000 + Math.floor(Math.random() * 20000);
}

function waitForLine(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}: ${seen}`)), timeoutMs);
    const onData = (d: Buffer): void => {
      seen += d.toString();
      const m = pattern.exec(seen);
      if (m !== null) { clearTimeout(timer); child.stdout?.off('data', onData); resolve(m); }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (d: Buffer) => { seen += d.toString(); });
  });
}

function timed(cmd: string, args: string[]): { seconds: number; status: number | null; output: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 10 * 60 * 1000 });
  return { seconds: Number(process.hrtime.bigint() - t0) / 1e9, status: r.status, output: `${r.stdout}${r.stderr}` };
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => { child.once('exit', () => resolve()); child.kill('SIGTERM'); });
}

async function startSandboxChild(captureDir: string): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'serve', captureDir], {
    stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, UV_THREADPOOL_SIZE: process.env.UV_THREADPOOL_SIZE ?? '16' },
  });
  const m = await waitForLine(child, /port (\d+)\n/, 30000);
  return { child, port: Number(m[1]) };
}

async function main(): Promise<void> {
  const source = tool('smtp-source');
  const sink = tool('smtp-sink');
  const messages = Math.max(100, Math.round(20000 * SCALE));
  const work = await mkdtemp(join(tmpdir(), 'exrelay-bench-sandbox-'));
  const load = (): string => loadavg().map((l) => l.toFixed(2)).join(' ');
  console.log(`load average before: ${load()} (captures under ${tmpdir()})`);
  try {
    if (source === null || sink === null) {
      console.log('smtp-source/smtp-sink not installed (apt-get install postfix): throughput ratio skipped');
    } else {
      // -d: each of the 50 sessions sends its messages over one connection.
      const sourceArgs = (port: number) => ['-d', '-s', '50', '-l', '10240', '-m', String(messages), '-f', 'load@corp.example', '-t', 'user@corp.example', `127.0.0.1:${port}`];
      const sinkPort = freePort();
      const sinkChild = spawn(sink, ['-u', 'nobody', `127.0.0.1:${sinkPort}`, '256'], { stdio: 'ignore' });
      await new Promise((r) => setTimeout(r, 500));
      const base = timed(source, sourceArgs(sinkPort));
      await stop(sinkChild);
      if (base.status !== 0) throw new Error(`smtp-source into smtp-sink failed: ${base.output}`);

      const captureDir = join(work, 'capture-source');
      const { child, port } = await startSandboxChild(captureDir);
      const run = timed(source, sourceArgs(port));
      await stop(child);
      if (run.status !== 0) throw new Error(`smtp-source into the sandbox failed: ${run.output}`);
      const captured = (await readdir(captureDir)).filter((f) => f.endsWith('.eml')).length;
      const sinkRate = messages / base.seconds;
      const sandboxRate = messages / run.seconds;
      console.log(`smtp-source -s 50 -m ${messages} -l 10240 (one connection per session)`);
      console.log(`  smtp-sink (baseline):  ${sinkRate.toFixed(0)} msg/s (${base.seconds.toFixed(2)} s)`);
      console.log(`  exrelay sandbox:       ${sandboxRate.toFixed(0)} msg/s (${run.seconds.toFixed(2)} s), ${captured} captured durably before their 250`);
      console.log(`  ratio sandbox/sink:    ${(sandboxRate / sinkRate).toFixed(2)}x (target >= 0.5x)`);
    }

    const sessions = 200;
    const perSession = Math.max(1, Math.round(50 * SCALE));
    const captureDir = join(work, 'capture-load');
    const { child, port } = await startSandboxChild(captureDir);
    const t0 = process.hrtime.bigint();
    const { finals, errors } = await runLoad(port, sessions, perSession, 10240);
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await stop(child);
    const ids = finals.map((f) => /InternalId=(\d+),/.exec(f)?.[1] ?? 'none');
    const files = new Set((await readdir(captureDir)).filter((f) => f.endsWith('.eml')).map((f) => f.slice(0, -4)));
    const missing = ids.filter((id) => !files.has(id)).length;
    const duplicates = ids.length - new Set(ids).size;
    console.log(`load: ${sessions} concurrent sessions x ${perSession} messages of 10 KB`);
    console.log(`  ${finals.length} answered 250 in ${seconds.toFixed(1)} s (${(finals.length / seconds).toFixed(0)} msg/s); errors ${errors.length}; `
      + `missing from capture ${missing}; answered twice ${duplicates}; files ${files.size}`);
    if (errors.length > 0 || missing > 0 || duplicates > 0 || files.size !== finals.length) process.exitCode = 1;
    console.log(`load average after: ${load()}`);
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === 'serve') await serve(process.argv[3] ?? join(tmpdir(), 'exrelay-capture'));
else await main();
