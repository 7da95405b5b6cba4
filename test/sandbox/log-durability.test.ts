// The protocol log survives a SIGKILL for every acknowledged message: its records are in the
// file before the final 250 leaves (the real `exrelay sandbox` process, killed right after).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freeOffset, startSandboxProcess, WireClient } from '../reliability/sandbox-process.js';

describe('protocol log durability', () => {
  it('SIGKILL right after the 250: the message\'s records, the 250 included, are in the log', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'exrelay-logkill-'));
    const logs = join(dir, 'logs');
    const sandbox = await startSandboxProcess(join(dir, 'capture'), await freeOffset(), ['--client-ip', '10.0.0.50', '--protocol-log', logs]);
    try {
      const c = await WireClient.open(sandbox.port);
      await c.replies(1);
      await c.command('EHLO app');
      await c.command('MAIL FROM:<app@corp.example>');
      await c.command('RCPT TO:<user@corp.example>');
      await c.command('DATA');
      const queued = await c.command('Subject: durable\r\n\r\nbody\r\n.');
      assert.match(queued, /^250 2\.6\.0 /);
      await sandbox.kill('SIGKILL');
      const text = await readFile(join(logs, (await readdir(logs))[0] ?? ''), 'latin1');
      assert.ok(text.includes(`,>,${queued},`) || text.includes(`,>,"${queued}",`), `the 250 record is in the log:\n${text}`);
      assert.match(text, /,<,MAIL FROM:<app@corp\.example>,/);
      // A restart appends a fresh header block.
      const again = await startSandboxProcess(join(dir, 'capture'), await freeOffset(), ['--client-ip', '10.0.0.50', '--protocol-log', logs]);
      const d = await WireClient.open(again.port);
      await d.replies(1);
      await d.command('QUIT');
      await again.kill('SIGTERM');
      const after = await readFile(join(logs, (await readdir(logs))[0] ?? ''), 'latin1');
      assert.equal(after.split('#Software: Microsoft Exchange Server').length, 3);
    } finally {
      await sandbox.kill();
      await rm(dir, { recursive: true, force: true });
    }
  });
});
