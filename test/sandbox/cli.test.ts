// `exrelay sandbox` as a user runs it: the contract's ready lines, SIGTERM/SIGINT -> exit 0,
// and exit 2 with one line for a port in use or an unknown server.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO_ROOT, runCli } from '../helpers/cli.js';
import { RawClient, withoutDate } from './helpers.js';
import { freeOffset } from '../reliability/sandbox-process.js';

const ESTATE = 'fixtures/sandbox/estate-2019.snapshot.json';
const PORTS = [25, 465, 587, 717, 2525];


function startCli(args: string[], env: NodeJS.ProcessEnv = process.env): { child: ReturnType<typeof spawn>; lines: Promise<string[]>; exit: Promise<number | null>; stderr: () => string } {
  const child = spawn(process.execPath, [BIN, ...args], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env });
  let out = '';
  let err = '';
  child.stderr.setEncoding('utf8').on('data', (d: string) => { err += d; });
  const lines = new Promise<string[]>((resolve, reject) => {
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const got = out.split('\n').filter((l) => l !== '');
      if (got.length >= PORTS.length) resolve(got);
    });
    child.once('exit', () => reject(new Error(`exited early: ${out} ${err}`)));
  });
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, lines, exit, stderr: () => err };
}

describe('exrelay sandbox (CLI)', () => {
  it('prints one ready line per listener, serves, and exits 0 on SIGTERM and on SIGINT', async () => {
    for (const signal of ['SIGTERM', 'SIGINT'] as const) {
      const dir = await mkdtemp(join(tmpdir(), 'exrelay-sbcli-'));
      const offset = await freeOffset();
      const run = startCli(['sandbox', ESTATE, '--server', 'EX01', '--port-offset', String(offset), '--xclient', '--capture', join(dir, 'cap')]);
      try {
        const lines = await run.lines;
        assert.deepEqual(lines, PORTS.map((p) => `listening 127.0.0.1:${p + offset} for EX01 port ${p}`));
        const c = await RawClient.connect(25 + offset);
        assert.equal(withoutDate(await c.line()), '220 ex01.corp.example Microsoft ESMTP MAIL Service ready at <date>');
        await c.command('EHLO a');
        run.child.kill(signal);
        // An open session is told the service is going away, then the process ends cleanly.
        assert.equal(await c.line(), '421 4.3.2 Service not available, closing transmission channel');
        assert.equal(await run.exit, 0, run.stderr());
        // Only the start-up warning about Integrated authentication (the estate offers NTLM).
        assert.deepEqual(run.stderr().split('\n').filter((l) => l !== '' && !/offers? Integrated authentication/.test(l)), []);
      } finally {
        run.child.kill('SIGKILL');
        await rm(dir, { recursive: true, force: true });
      }
    }
  });

  it("runs libuv's pool with 16 threads for the capture's parallel syncs, unless UV_THREADPOOL_SIZE says otherwise", { skip: process.platform !== 'linux' && 'counts threads in /proc (Linux only)' }, async () => {
    const threadsAfterOneMessage = async (env: NodeJS.ProcessEnv): Promise<number> => {
      const dir = await mkdtemp(join(tmpdir(), 'exrelay-sbcli-'));
      const offset = await freeOffset();
      const run = startCli(['sandbox', ESTATE, '--server', 'EX01', '--port-offset', String(offset), '--client-ip', '192.0.2.5', '--capture', join(dir, 'cap')], env);
      try {
        await run.lines;
        // The pool starts with its first job: a captured message.
        const c = await RawClient.connect(25 + offset);
        await c.line();
        await c.command('EHLO a');
        await c.command('MAIL FROM:<app@corp.example>');
        await c.command('RCPT TO:<user@corp.example>');
        await c.command('DATA');
        assert.match(await c.command('Subject: t\r\n\r\nx\r\n.'), /^250 2\.6\.0 /);
        c.end();
        return (await readdir(`/proc/${run.child.pid}/task`)).length;
      } finally {
        run.child.kill('SIGKILL');
        await rm(dir, { recursive: true, force: true });
      }
    };
    const { UV_THREADPOOL_SIZE: _, ...inherited } = process.env;
    const byDefault = await threadsAfterOneMessage(inherited);
    const withFour = await threadsAfterOneMessage({ ...inherited, UV_THREADPOOL_SIZE: '4' });
    assert.equal(byDefault - withFour, 12, `threads: ${byDefault} by default, ${withFour} with UV_THREADPOOL_SIZE=4`);
  });

  it('a port in use is exit 2 with one line naming the port', async () => {
    const offset = await freeOffset();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(587 + offset, '127.0.0.1', () => resolve()));
    try {
      const r = await runCli(['sandbox', ESTATE, '--server', 'EX01', '--port-offset', String(offset)]);
      assert.equal(r.exitCode, 2);
      assert.equal(r.stdout, '');
      assert.deepEqual(r.stderr.trimEnd().split('\n'), [`exrelay: port ${587 + offset} is already in use: cannot listen on 127.0.0.1:${587 + offset} (for EX01 port 587)`]);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('an unknown server, a bad flavor, a lone --cert and a capture path that is a file are exit 2', async () => {
    const unknown = await runCli(['sandbox', ESTATE, '--server', 'EX09']);
    assert.equal(unknown.exitCode, 2);
    assert.equal(unknown.stderr.trim(), 'exrelay: --server EX09: no such server in the input (servers: EX01); did you mean EX01?');
    const flavor = await runCli(['sandbox', ESTATE, '--server', 'EX01', '--flavor', '2007']);
    assert.equal(flavor.exitCode, 2);
    const cert = await runCli(['sandbox', ESTATE, '--server', 'EX01', '--cert', 'x.pem']);
    assert.equal(cert.exitCode, 2);
    assert.match(cert.stderr, /--cert and --key go together/);
    // A capture "directory" that is a file.
    const capture = await runCli(['sandbox', ESTATE, '--server', 'EX01', '--capture', ESTATE]);
    assert.equal(capture.exitCode, 2);
    assert.equal(capture.stderr, `exrelay: ${join(REPO_ROOT, ESTATE)}: cannot use as the capture directory: file already exists\n`);
  });

  it('--help describes every option', async () => {
    const r = await runCli(['sandbox', '--help']);
    assert.equal(r.exitCode, 0);
    for (const option of ['--server', '--host', '--port-offset', '--client-ip', '--xclient', '--proxy-protocol', '--trust-proxy', '--users', '--capture', '--protocol-log', '--flavor', '--tarpit', '--cert', '--key', '--local-address', '--tls-max']) {
      assert.match(r.stdout, new RegExp(`${option} .*\\S`), option);
    }
  });
});
