// nmap's smtp-open-relay script (a tool nobody here wrote) judges the sandbox: an estate whose
// Default Frontend grants anonymous Accept-Any-Recipient is an open relay; an estate with only a
// narrow relay connector is not, for an address outside its range (--client-ip).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { requireTool } from '../helpers/tools.js';
import { loadFixture, start } from '../sandbox/helpers.js';

function nmap(path: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    // "+" runs the script whatever port the service is on (the sandbox is not on 25).
    const child = spawn(path, ['-Pn', '-n', '-p', String(port), '--script', '+smtp-open-relay', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.stderr.setEncoding('utf8').on('data', (d: string) => { out += d; });
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
}

describe('nmap smtp-open-relay against the sandbox', () => {
  it('reports an open relay for anonymous Accept-Any-Recipient on the Default Frontend', async (t) => {
    const path = requireTool(t, 'nmap');
    if (path === null) return;
    const s = await start(await loadFixture('open-relay-2019.snapshot.json'), { clientIp: '198.51.100.7', xclient: false });
    try {
      const out = await nmap(path, s.portOf(25));
      assert.match(out, /smtp-open-relay: Server is an open relay/, out);
    } finally { await s.stop(); }
  });

  it('reports no relay when only a narrow relay connector exists and the client is outside it', async (t) => {
    const path = requireTool(t, 'nmap');
    if (path === null) return;
    const s = await start(await loadFixture('estate-2019.snapshot.json'), { clientIp: '198.51.100.7', xclient: false });
    try {
      const out = await nmap(path, s.portOf(25));
      assert.match(out, /smtp-open-relay: Server doesn't seem to be an open relay/, out);
      assert.doesNotMatch(out, /Server is an open relay/);
    } finally { await s.stop(); }
  });

  it('and reports the open relay when that same estate sees a client inside the relay range', async (t) => {
    const path = requireTool(t, 'nmap');
    if (path === null) return;
    const s = await start(await loadFixture('estate-2019.snapshot.json'), { clientIp: '192.0.2.5', xclient: false });
    try {
      assert.match(await nmap(path, s.portOf(25)), /smtp-open-relay: Server is an open relay/);
    } finally { await s.stop(); }
  });
});
