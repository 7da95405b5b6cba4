import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { InputError } from '../../src/errors.js';
import { CaptureStore, type CaptureEnvelope } from '../../src/sandbox/capture.js';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });
async function tempDir(): Promise<string> { const d = await mkdtemp(join(tmpdir(), 'exrelay-capture-')); dirs.push(d); return d; }

function envelope(id: string): CaptureEnvelope {
  return { id, connector: 'EX01\\Relay', server: 'EX01', port: 25, clientAddress: '192.0.2.5', clientAddressOrigin: 'xclient', peerAddress: '127.0.0.1',
    helo: 'app01', messageId: '<m@app01>', authenticatedUser: null, tls: false, mailFrom: 'app@corp.example', rcptTo: ['a@external.example'], size: 5, transfer: 'DATA', time: '2026-01-01T00:00:00.000Z', tlsProtocol: null, tlsCipher: null, authMechanism: null, localEndpoint: '0.0.0.0:25', mailParameters: {} };
}

describe('capture store', () => {
  it('shows nothing but a dot-named temp file until commit, then <id>.eml and <id>.json', async () => {
    const dir = await tempDir();
    const store = await CaptureStore.open(join(dir, 'nested', 'capture'));
    const w = store.begin();
    assert.match(w.id, /^\d+$/);
    await w.write('Received: from x\r\n');
    await w.write(Buffer.from('hello'));
    const ours = async (): Promise<string[]> => (await readdir(store.dir)).filter((n) => n !== '.exrelay-sandbox.lock').sort();
    assert.deepEqual(await ours(), [], 'nothing on disk before commit');
    await w.commit(envelope(w.id));
    const files = await ours();
    assert.deepEqual(files, [`${w.id}.eml`, `${w.id}.json`]);
    assert.equal(await readFile(join(store.dir, `${w.id}.eml`), 'latin1'), 'Received: from x\r\nhello');
    assert.deepEqual(JSON.parse(await readFile(join(store.dir, `${w.id}.json`), 'utf8')), envelope(w.id));
    assert.equal(w.size, 23);
  });

  it('gives distinct, increasing ids and removes aborted messages', async () => {
    const dir = await tempDir();
    const store = await CaptureStore.open(dir);
    const a = store.begin();
    const b = store.begin();
    assert.ok(BigInt(b.id) > BigInt(a.id));
    await b.write('x');
    await b.abort();
    await a.abort();
    await store.close();
    assert.deepEqual(await readdir(dir), []);
  });

  it('continues after the highest id already in the directory (a clock set back)', async () => {
    const dir = await tempDir();
    const first = await CaptureStore.open(dir);
    const w = first.begin();
    await w.write('x');
    await w.commit(envelope(w.id));
    const later = (BigInt(w.id) + 10n ** 12n).toString();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, `${later}.eml`), 'x');
    const second = await CaptureStore.open(dir);
    assert.equal(second.begin().id, (BigInt(later) + 1n).toString());
  });

  it('spills a large message to its temporary file and still commits it whole', async () => {
    const dir = await tempDir();
    const store = await CaptureStore.open(dir);
    const w = store.begin();
    const big = Buffer.alloc(9 * 1024 * 1024, 0x61);
    await w.write('Received: x\r\n');
    await w.write(big);
    assert.deepEqual((await readdir(dir)).sort(), [`.${w.id}.eml.tmp`, '.exrelay-sandbox.lock']);
    await w.write('tail');
    await w.commit(envelope(w.id));
    const text = await readFile(join(dir, `${w.id}.eml`));
    assert.equal(text.length, 13 + big.length + 4);
    assert.equal(text.subarray(-4).toString(), 'tail');
  });
});

describe('capture directory ownership', () => {
  it('tidies what a killed run left (temporary files, an .eml without its .json) and keeps every complete capture', async () => {
    const dir = await tempDir();
    const { writeFile } = await import('node:fs/promises');
    const dead = spawnSync(process.execPath, ['-e', '']).pid; // a process that has ended
    await writeFile(join(dir, '.exrelay-sandbox.lock'), `${dead}\n`);
    for (const [name, text] of [
      ['100.eml', 'complete'], ['100.json', '{}'],
      ['101.eml', 'renamed, but the kill came before its envelope'],
      ['.102.eml.tmp', 'half'], ['.102.json.tmp', '{'],
      ['.103.eml.tmp', 'spilled, never committed'],
      ['notes.txt', 'not ours'],
    ] as const) await writeFile(join(dir, name), text);
    const store = await CaptureStore.open(dir);
    assert.equal(store.unfinishedRemoved, 3);
    assert.deepEqual((await readdir(dir)).sort(), ['.exrelay-sandbox.lock', '100.eml', '100.json', 'notes.txt']);
    assert.equal(await readFile(join(dir, '.exrelay-sandbox.lock'), 'utf8'), `${process.pid}\n`);
    assert.equal(BigInt(store.begin().id) > 103n, true, 'ids continue after the highest, unfinished ones included');
    await store.close();
    assert.deepEqual((await readdir(dir)).sort(), ['100.eml', '100.json', 'notes.txt']);
  });

  it('refuses a directory a live process holds, naming it (exit 2)', async () => {
    const dir = await tempDir();
    const { writeFile } = await import('node:fs/promises');
    await writeFile(join(dir, '.exrelay-sandbox.lock'), `${process.ppid}\n`);
    await assert.rejects(CaptureStore.open(dir), (error: Error) => error instanceof InputError && error.file === dir
      && error.message === `in use by another exrelay sandbox (process ${process.ppid}); give each sandbox its own --capture directory, or remove .exrelay-sandbox.lock there if no sandbox runs`);
    assert.equal(await readFile(join(dir, '.exrelay-sandbox.lock'), 'utf8'), `${process.ppid}\n`, 'the holder keeps its lock');
  });
});
