// `exrelay doctor` against the real machine: what it reports must match what is there.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../../src/cli/io.js';
import { main } from '../../src/cli/main.js';
import type { DoctorDocument } from '../../src/cli/commands/doctor.js';
import { findTool } from '../helpers/tools.js';

async function doctor(args: readonly string[]): Promise<{ code: number; out: string; err: string }> {
  const io = captureIo();
  const code = await main(['doctor', ...args], io);
  return { code, out: io.out, err: io.err };
}

const byName = (doc: DoctorDocument, name: string) => doc.checks.find((c) => c.check === name);

describe('exrelay doctor', () => {
  let dir = '';
  let busy: Server | null = null;
  let busyPort = 0;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'exrelay-doctor-'));
    busy = createServer();
    await new Promise<void>((done) => { busy?.listen({ host: '127.0.0.1', port: 0 }, done); });
    const address = busy.address();
    busyPort = typeof address === 'object' && address !== null ? address.port : 0;
  });
  after(() => {
    busy?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reports Node, each optional tool as it is on this machine, the capture folder and the ports; exit 0', async () => {
    const r = await doctor(['--format', 'json', '--capture', join(dir, 'captures'), '--port-offset', '30000']);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as DoctorDocument;
    assert.equal(doc.schema, 'exrelay.doctor/1');
    assert.deepEqual(doc.checks.map((c) => c.check), ['node', 'swaks', 'postfix', 'chromium', 'nmap', 'capture folder', 'loopback ports']);
    assert.equal(byName(doc, 'node')?.status, 'ok');
    assert.equal(byName(doc, 'node')?.detail, `v${process.versions.node}`);
    for (const [check, tool] of [['swaks', 'swaks'], ['postfix', 'postconf'], ['chromium', 'chromium'], ['nmap', 'nmap']] as const) {
      assert.equal(byName(doc, check)?.status, findTool(tool) === null ? 'missing' : 'ok', check);
      assert.ok((byName(doc, check)?.enables ?? '').length > 0, `${check} says what it enables`);
    }
    assert.equal(byName(doc, 'capture folder')?.status, 'ok');
    assert.match(byName(doc, 'capture folder')?.detail ?? '', /can be created/);
    assert.equal(byName(doc, 'loopback ports')?.status, 'ok');
    assert.equal(byName(doc, 'loopback ports')?.detail, '30025, 30465, 30587, 30717, 32525 free');
  });

  it('names a port in use and a capture folder that cannot be one, still exit 0', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    // The offset that puts Exchange port 25 on the busy port.
    const r = await doctor(['--format', 'json', '--capture', file, '--port-offset', String(busyPort - 25)]);
    assert.equal(r.code, 0, r.err);
    const doc = JSON.parse(r.out) as DoctorDocument;
    assert.equal(byName(doc, 'capture folder')?.status, 'problem');
    assert.equal(byName(doc, 'capture folder')?.detail, `${file} is not a folder`);
    assert.equal(byName(doc, 'loopback ports')?.status, 'problem');
    assert.match(byName(doc, 'loopback ports')?.detail ?? '', new RegExp(`^in use: ${busyPort} \\(address already in use\\)`));
  });

  it('prints a table by default', async () => {
    const r = await doctor(['--capture', dir, '--port-offset', '30000']);
    assert.equal(r.code, 0);
    const lines = r.out.split('\n');
    assert.match(lines[0] ?? '', /^check {11}status {3}found$/);
    assert.match(r.out, /\nnode {12}ok {7}v\d+\.\d+\.\d+\n {25}for: every command\n/);
    assert.match(r.out, /\n(Ready[.;]|Needs attention: )/);
  });
});
