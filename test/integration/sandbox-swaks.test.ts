// swaks (a tool nobody here wrote) against the sandbox: XCLIENT impersonation of an address in
// a relay connector's range is accepted and captured; an unlisted address gets Exchange 2019's
// relay-denied reply.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { requireTool } from '../helpers/tools.js';
import { loadFixture, start, type Started } from '../sandbox/helpers.js';

function run(cmd: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, out }));
  });
}

describe('swaks against the sandbox', () => {
  let s: Started;
  before(async () => { s = await start(await loadFixture('estate-2019.snapshot.json')); });
  after(async () => { await s.stop(); });

  it('--xclient-addr inside the relay range: accepted and captured', async (t) => {
    const swaks = requireTool(t, 'swaks');
    if (swaks === null) return;
    const r = await run(swaks, ['--server', `127.0.0.1:${s.portOf(25)}`, '--xclient-addr', '192.0.2.5', '--from', 'app@corp.example', '--to', 'someone@external.example', '--timeout', '20']);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /<- {2}220 relay\.corp\.example Microsoft ESMTP MAIL Service ready at /);
    assert.match(r.out, /<- {2}250 2\.1\.5 Recipient OK/);
    const id = /<- {2}250 2\.6\.0 <[^>]+> \[InternalId=(\d+), Hostname=ex01\.corp\.example\] Queued mail for delivery/.exec(r.out)?.[1];
    assert.ok(id !== undefined, r.out);
    const files = await readdir(join(s.dir, 'capture'));
    assert.ok(files.includes(`${id}.eml`) && files.includes(`${id}.json`));
  });

  it('--xclient-addr of an unlisted address: 550 5.7.54, nothing captured', async (t) => {
    const swaks = requireTool(t, 'swaks');
    if (swaks === null) return;
    const before = await readdir(join(s.dir, 'capture')).catch(() => []);
    const r = await run(swaks, ['--server', `127.0.0.1:${s.portOf(25)}`, '--xclient-addr', '198.51.100.9', '--from', 'app@corp.example', '--to', 'someone@external.example', '--timeout', '20']);
    assert.notEqual(r.code, 0);
    assert.match(r.out, /<\*\* 550 5\.7\.54 SMTP; Unable to relay recipient in non-accepted domain/);
    assert.deepEqual(await readdir(join(s.dir, 'capture')).catch(() => []), before);
  });
});
