// Nothing leaves: the sandbox, loaded with an open-relay configuration and fed a full set of
// relay attempts, binds only to loopback and never calls connect() — every system call of the
// process tree is traced with strace, so a delivery attempt by any code path would show.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BIN, REPO_ROOT } from '../helpers/cli.js';
import { SmtpLineClient } from '../helpers/smtp-line-client.js';
import { requireTool } from '../helpers/tools.js';

const OFFSET = 23000;

async function waitForListening(child: ReturnType<typeof spawn>, expected: number): Promise<string[]> {
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`sandbox did not start: ${out}`)), 30000);
    child.stdout?.setEncoding('utf8').on('data', (d: string) => {
      out += d;
      const lines = out.split('\n').filter((l) => l.startsWith('listening '));
      if (lines.length >= expected) { clearTimeout(timer); resolve(lines); }
    });
    child.on('exit', (code) => { clearTimeout(timer); reject(new Error(`sandbox exited ${String(code)}: ${out}`)); });
  });
}

describe('nothing leaves the machine', () => {
  it('the sandbox binds loopback by default and makes no connect() call while accepting relay mail', async (t) => {
    const strace = requireTool(t, 'strace');
    if (strace === null) return;
    const work = await mkdtemp(join(tmpdir(), 'exrelay-outbound-'));
    t.after(() => rm(work, { recursive: true, force: true }));
    const trace = join(work, 'trace');
    const capture = join(work, 'capture');
    const child = spawn(strace, ['-f', '-qq', '-e', 'trace=bind,connect,sendto,sendmsg', '-o', trace, process.execPath, BIN, 'sandbox',
      join(REPO_ROOT, 'fixtures/sandbox/open-relay-2019.snapshot.json'), '--server', 'EX01', '--port-offset', String(OFFSET),
      '--capture', capture, '--xclient'], { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    // Drain stderr: a full pipe would stall the sandbox and look like a hang.
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => { stderr += d; });
    try {
      const listening = await waitForListening(child, 5);
      for (const line of listening) assert.match(line, /^listening 127\.0\.0\.1:\d+ for EX01 port \d+$/);

      // Anonymous relay from several impersonated addresses to outside domains: the open
      // configuration accepts them, so a delivering server would now try to connect out.
      let accepted = 0;
      for (const [i, clientIp] of ['192.0.2.10', '198.51.100.20', '203.0.113.30', '10.1.2.3', '2001:db8::1'].entries()) {
        const c = await SmtpLineClient.open(25 + OFFSET);
        assert.equal((await c.reply())?.code, 220);
        await c.command('EHLO probe.example');
        const x = await c.command(`XCLIENT ADDR=${clientIp.includes(':') ? `IPV6:${clientIp}` : clientIp}`);
        assert.equal(x?.code, 220, JSON.stringify(x));
        await c.command('EHLO probe.example');
        assert.equal((await c.command(`MAIL FROM:<probe${i}@corp.example>`))?.code, 250);
        const rcpt = await c.command(`RCPT TO:<victim${i}@gmail.example>`);
        const local = await c.command(`RCPT TO:<user${i}@corp.example>`);
        assert.equal(local?.code, 250);
        assert.equal((await c.command('DATA'))?.code, 354);
        const done = await c.command(`Subject: probe ${i}\r\n\r\nrelay test\r\n.`);
        assert.equal(done?.code, 250, JSON.stringify(done));
        if (rcpt?.code === 250) accepted++;
        await c.command('QUIT');
        c.close();
      }
      const captured = (await readdir(capture)).filter((f) => f.endsWith('.eml'));
      assert.equal(captured.length, 5, 'every accepted message is captured, none delivered');
      assert.equal(accepted, 5, 'the open configuration accepted every outside recipient');
    } finally {
      // The whole group: strace detaches on SIGTERM and would leave the sandbox running.
      const exited = new Promise((r) => child.once('exit', r));
      process.kill(-(child.pid as number), 'SIGTERM');
      await exited;
    }
    const traced = (await readFile(trace, 'utf8')).split('\n');
    // The trace works and shows the default bind: loopback only, one socket per Exchange port.
    const binds = traced.filter((l) => /\bbind\(.*AF_INET6?\b/.test(l));
    assert.equal(binds.length, 5, binds.join('\n'));
    for (const b of binds) assert.match(b, /inet_addr\("127\.0\.0\.1"\)/, b);
    const calls = traced.filter((l) => /\b(connect|sendto|sendmsg)\(/.test(l));
    // AF_UNIX (e.g. to a local log socket) is not the network; an inet connect of any kind is.
    const network = calls.filter((l) => /AF_INET6?\b/.test(l));
    assert.deepEqual(network, [], 'no outbound network system call');
    assert.doesNotMatch(stderr, /internal error/);
  });
});
