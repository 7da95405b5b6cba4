// Exchange fidelity round 2 over the wire: a real SMTP client (nodemailer) and raw sockets
// against the sandbox, for the rules replay also answers (parity.test.ts plays the same
// scenarios through both): hub-side sender checks of authenticated Front End sessions, a port
// both transport services bind, and the sandbox's own wire syntax.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import type { Snapshot } from '../../src/model.js';
import { runCli } from '../helpers/cli.js';
import { loadFixture, RawClient, start } from './helpers.js';

const USERS = [
  { user: 'CORP\\svc-app', password: 'secret', addresses: ['app@corp.example'] },
  { user: 'CORP\\svc-scan', password: 'secret', addresses: ['scanner@corp.example'] },
];
let conflict: Snapshot;
before(async () => { conflict = await loadFixture('role-conflict-2016.snapshot.json'); });

function submission(port: number, user: string) {
  return nodemailer.createTransport({
    host: '127.0.0.1', port, secure: false, requireTLS: true, tls: { rejectUnauthorized: false },
    auth: { user, pass: 'secret' }, authMethod: 'LOGIN',
  });
}

describe('authenticated submission on Client Frontend is sender-checked on Client Proxy (nodemailer)', () => {
  it('another sender: 550 5.7.60; own address: queued; Accept-Any-Sender on Client Proxy: queued', async () => {
    const s = await start(conflict, { users: USERS, clientIp: '198.51.100.9', xclient: false });
    try {
      const app = submission(s.portOf(587), 'CORP\\svc-app');
      await assert.rejects(app.sendMail({ from: 'ceo@corp.example', to: 'user@corp.example', subject: 's', text: 'b' }),
        (error: Error & { response?: string }) => {
          assert.equal(error.response, '550 5.7.60 SMTP; Client does not have permissions to send as this sender');
          return true;
        });
      const own = await app.sendMail({ from: 'app@corp.example', to: 'user@corp.example', subject: 's', text: 'b' });
      assert.match(own.response, /^250 2\.6\.0 </);
      app.close();
      const scan = submission(s.portOf(587), 'CORP\\svc-scan');
      const other = await scan.sendMail({ from: 'ceo@corp.example', to: 'user@corp.example', subject: 's', text: 'b' });
      assert.match(other.response, /^250 2\.6\.0 </);
      scan.close();
    } finally { await s.stop(); }
  });
});

describe('a HubTransport connector bound to port 25 beside Default Frontend', () => {
  it('port 25 answers 421 4.3.2 and closes; 587 still works; the sandbox warns naming both connectors', async () => {
    const s = await start(conflict, { users: USERS, xclient: false });
    try {
      assert.ok(s.sandbox.warnings.some((w) => w.includes('Default Frontend EX01') && w.includes('Legacy Relay EX01')), s.sandbox.warnings.join('\n'));
      const c = await RawClient.connect(s.portOf(25));
      assert.equal(await c.line(), '421 4.3.2 Service not available');
      assert.equal(await c.closedByServer(), true);
      const ok = await RawClient.connect(s.portOf(587));
      assert.match(await ok.line(), /^220 /);
      ok.end();
    } finally { await s.stop(); }
  });
});

describe('replay of the same estate', () => {
  it('refuses port 25 with 421 4.3.2 and warns naming both connectors', async () => {
    const r = await runCli(['replay', 'fixtures/sandbox/role-conflict-2016.snapshot.json', '--scenarios', 'fixtures/sandbox/round2.scenarios.json', '--format', 'json']);
    assert.equal(r.exitCode, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { results: Array<{ name: string; outcome: string; replies: Array<{ code: number; enhanced: string | null; text: string }> }> };
    const refused = doc.results.filter((x) => x.name.startsWith('hub connector beside Default Frontend'));
    assert.equal(refused.length, 2);
    for (const x of refused) assert.deepEqual([x.outcome, x.replies[0]], ['refused', { stage: 'connect', code: 421, enhanced: '4.3.2', text: 'Service not available' }]);
    assert.match(r.stderr, /warning: port 25 of server EX01: the Front End connector "EX01\\Default Frontend EX01" and the hub \(HubTransport\) connector "EX01\\Legacy Relay EX01" both bind it/);
  });
});
