// Memory stays bounded under large and slow senders (issue: BDAT streamed, bounded buffers):
// the real `exrelay sandbox` process takes one 60 MB BDAT chunk (over MaxMessageSize: refused
// without being held), one 30 MB chunk (accepted, streamed to the capture), and 30 clients each
// holding 7 MB of an unfinished DATA. Its peak resident memory (VmHWM of the child) must stay
// under 250 MB. A bound, not a timing.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeOffset, startSandboxProcess, WireClient } from '../reliability/sandbox-process.js';

const MB = 1024 * 1024;
const linux = process.platform === 'linux';

async function transaction(c: WireClient): Promise<void> {
  assert.match(await c.command('EHLO big.example'), /^250 /);
  assert.equal(await c.command('MAIL FROM:<big@corp.example>'), '250 2.1.0 Sender OK');
  assert.equal(await c.command('RCPT TO:<user@corp.example>'), '250 2.1.5 Recipient OK');
}

function body(bytes: number): Buffer {
  const line = Buffer.from(`${'m'.repeat(998)}\r\n`);
  const out = Buffer.alloc(bytes);
  for (let at = 0; at < bytes; at += line.length) line.copy(out, at, 0, Math.min(line.length, bytes - at));
  Buffer.from('Subject: big\r\n\r\n').copy(out, 0);
  out[bytes - 2] = 0x0d; out[bytes - 1] = 0x0a;
  return out;
}

describe('sandbox memory under big and slow senders', { skip: !linux && 'reads /proc for the child\'s memory (Linux only)' }, () => {
  it('60 MB BDAT chunk, 30 MB BDAT chunk, 30 clients holding 7 MB mid-DATA: peak RSS under 250 MB', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'exrelay-memory-'));
    const capture = join(dir, 'capture');
    const sandbox = await startSandboxProcess(capture, await freeOffset(), ['--client-ip', '10.0.0.50']);
    const clients: WireClient[] = [];
    try {
      // Over MaxMessageSize (36 MB): the chunk is read off the socket and dropped as it comes.
      const huge = await WireClient.open(sandbox.port);
      clients.push(huge);
      await huge.replies(1);
      await transaction(huge);
      await huge.write(Buffer.concat([Buffer.from(`BDAT ${60 * MB} LAST\r\n`), body(60 * MB)]));
      const refused = await huge.replies(5, 60000);
      assert.equal(refused[4], '552 5.3.4 Message size exceeds fixed maximum message size');
      assert.equal(await huge.command('NOOP'), '250 2.0.0 OK', 'the session goes on after the refused chunk');

      // Within the limit: streamed into the capture, complete.
      const large = await WireClient.open(sandbox.port);
      clients.push(large);
      await large.replies(1);
      await transaction(large);
      await large.write(Buffer.concat([Buffer.from(`BDAT ${30 * MB} LAST\r\n`), body(30 * MB)]));
      const queued = (await large.replies(5, 60000))[4] ?? '';
      const id = /InternalId=(\d+)/.exec(queued)?.[1];
      assert.ok(id !== undefined, queued);
      assert.ok((await stat(join(capture, `${id}.eml`))).size > 30 * MB);

      // Thirty slow senders, each 7 MB into a DATA that never ends.
      for (let i = 0; i < 30; i++) {
        const c = await WireClient.open(sandbox.port);
        clients.push(c);
        await c.replies(1);
        await transaction(c);
        assert.equal(await c.command('DATA'), '354 Start mail input; end with <CRLF>.<CRLF>');
        await c.write(body(7 * MB));
      }
      // Let the sandbox read what the kernel still holds for it.
      await new Promise((r) => setTimeout(r, 2000));
      const peak = sandbox.peakMb();
      assert.ok(peak > 0, 'VmHWM read');
      assert.ok(peak < 250, `peak RSS ${peak.toFixed(1)} MB`);
      // The unfinished messages went to temporary files, not memory.
      assert.ok((await readdir(capture)).some((n) => n.endsWith('.eml.tmp')));
      process.stdout.write(`# sandbox peak RSS ${peak.toFixed(1)} MB\n`);
    } finally {
      for (const c of clients) c.close();
      await sandbox.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
