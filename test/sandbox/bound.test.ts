// Connectors bound to a specific server address (reference §4.2): `--local-address`, XCLIENT
// DESTADDR and the PROXY destination select them; the sandbox warns at start about bound
// connectors nothing reaches; the protocol log records Exchange's port and the local address
// used, so sandbox → `logs --scenarios` → replay gives the same connectors.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readLogs } from '../../src/logs/reader.js';
import { buildScenarios } from '../../src/logs/scenarios.js';
import type { Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { runScenario } from '../../src/replay/replay.js';
import { encodeProxyV2 } from '../../src/sandbox/proxy-protocol.js';
import { RawClient, start, withoutDate } from './helpers.js';

let estate: Snapshot;
before(async () => {
  const defaults = JSON.parse(await readFile(new URL('../../fixtures/defaults/exchange-2016.json', import.meta.url), 'utf8')) as Snapshot;
  const df = defaults.connectors.find((c) => c.name.startsWith('Default Frontend'));
  assert.ok(df);
  estate = {
    ...defaults,
    connectors: [...defaults.connectors, {
      ...df, identity: 'EX01\\Bound Relay EX01', name: 'Bound Relay EX01', bindings: [{ address: '10.0.0.12', port: 25 }],
      remoteIPRanges: [{ expression: '192.0.2.0/24', first: '192.0.2.0', last: '192.0.2.255' }], permissionGroups: ['AnonymousUsers', 'Custom'],
      authMechanism: ['Tls'], banner: '220 bound.corp.example ESMTP', protocolLoggingLevel: 'Verbose',
    }],
    permissions: [...defaults.permissions, {
      identity: 'EX01\\Bound Relay EX01', user: 'NT AUTHORITY\\ANONYMOUS LOGON', deny: false, inherited: false,
      extendedRights: ['ms-Exch-SMTP-Submit', 'ms-Exch-SMTP-Accept-Any-Recipient'],
    }],
  };
});

const DEFAULT_BANNER = '220 ex01.corp.example Microsoft ESMTP MAIL Service ready at <date>';

describe('connectors bound to a specific address', () => {
  it('without a local address only wildcard-bound connectors answer, and the start-up warning names the bound one', async () => {
    const s = await start(estate, { clientIp: '192.0.2.5', xclient: false });
    try {
      assert.ok(s.sandbox.warnings.some((w) => w.includes('Bound Relay EX01') && w.includes('10.0.0.12:25') && w.includes('--local-address 10.0.0.12')), s.sandbox.warnings.join('\n'));
      const c = await RawClient.connect(s.portOf(25));
      assert.equal(withoutDate(await c.line()), DEFAULT_BANNER);
      c.end();
    } finally { await s.stop(); }
  });

  it('--local-address selects it (and silences the warning)', async () => {
    const s = await start(estate, { clientIp: '192.0.2.5', xclient: false, localAddress: '10.0.0.12' });
    try {
      assert.deepEqual(s.sandbox.warnings.filter((w) => w.includes('bound to')), []);
      const c = await RawClient.connect(s.portOf(25));
      assert.equal(await c.line(), '220 bound.corp.example ESMTP');
      c.end();
      // A client outside its ranges still gets Default Frontend through the wildcard binding (§4.2).
      const s2 = await start(estate, { clientIp: '198.51.100.7', xclient: false, localAddress: '10.0.0.12' });
      try {
        const d = await RawClient.connect(s2.portOf(25));
        assert.equal(withoutDate(await d.line()), DEFAULT_BANNER);
        d.end();
      } finally { await s2.stop(); }
    } finally { await s.stop(); }
  });

  it('XCLIENT DESTADDR selects it per session', async () => {
    const s = await start(estate, { xclient: true });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      assert.equal(await c.command('XCLIENT ADDR=192.0.2.5 DESTADDR=10.0.0.12'), '220 bound.corp.example ESMTP');
      c.end();
      const d = await RawClient.connect(s.portOf(25));
      await d.line();
      // Another server address: only the wildcard-bound Default Frontend is a candidate.
      assert.equal(withoutDate(await d.command('XCLIENT ADDR=192.0.2.5 DESTADDR=10.0.0.11')), DEFAULT_BANNER);
      d.end();
    } finally { await s.stop(); }
  });

  it('the PROXY destination selects it', async () => {
    const s = await start(estate, { proxyProtocol: true, xclient: false, proxyGraceMs: 200 });
    try {
      const v1 = await RawClient.connect(s.portOf(25), Buffer.from('PROXY TCP4 192.0.2.5 10.0.0.12 40000 25\r\n'));
      assert.equal(await v1.line(), '220 bound.corp.example ESMTP');
      v1.end();
      const v2 = await RawClient.connect(s.portOf(25), encodeProxyV2({ address: '192.0.2.5', port: 40001 }, { address: '10.0.0.11', port: 25 }));
      assert.equal(withoutDate(await v2.line()), DEFAULT_BANNER);
      v2.end();
    } finally { await s.stop(); }
  });
});

describe('protocol log round trip: sandbox → logs --scenarios → replay', () => {
  it('the log carries Exchange\'s port and local address, and replay picks the same connectors', async () => {
    const first = await start(estate, { xclient: true });
    const logDir = join(first.dir, 'logs');
    await first.sandbox.close();
    const s = await start(estate, { xclient: true, protocolLogDir: logDir, captureDir: join(first.dir, 'capture') });
    const sessions: Array<{ xclient: string; from: string; to: string }> = [
      { xclient: 'XCLIENT ADDR=192.0.2.5 DESTADDR=10.0.0.12', from: 'app@corp.example', to: 'x@external.example' },
      { xclient: 'XCLIENT ADDR=198.51.100.7', from: 'a@example.net', to: 'user@corp.example' },
    ];
    try {
      for (const session of sessions) {
        const c = await RawClient.connect(s.portOf(25));
        await c.line();
        await c.command(session.xclient);
        await c.command('EHLO client.example');
        await c.command(`MAIL FROM:<${session.from}>`);
        await c.command(`RCPT TO:<${session.to}>`);
        await c.command('DATA');
        assert.match(await c.command('Subject: round trip\r\n\r\nbody\r\n.'), /^250 2\.6\.0 /);
        await c.command('QUIT');
        await c.closedByServer();
      }
    } finally { await s.stop(); }
    const text = await readFile(join(logDir, (await readdir(logDir))[0] ?? ''), 'utf8');
    assert.match(text, /EX01\\Bound Relay EX01,[0-9A-F]{16},\d+,10\.0\.0\.12:25,/);
    assert.match(text, /EX01\\Default Frontend EX01,[0-9A-F]{16},\d+,0\.0\.0\.0:25,/);
    const read = await readLogs([logDir], { workers: 0 });
    const doc = buildScenarios(read.aggregate, null);
    assert.equal(doc.scenarios.length, 2);
    const policy = buildPolicy(estate);
    const connectors = doc.scenarios.map((scenario) => {
      assert.equal(scenario.port, 25, 'Exchange\'s port, not the sandbox\'s');
      // The server address the client reached comes back from the log for the bound connector only.
      assert.equal(scenario.localAddress, scenario.clientIp === '192.0.2.5' ? '10.0.0.12' : undefined);
      const result = runScenario(policy, scenario, doc.users, { server: 'EX01' });
      assert.equal(result.outcome, 'accepted', JSON.stringify(result));
      return result.connector;
    }).sort();
    assert.deepEqual(connectors, ['EX01\\Bound Relay EX01', 'EX01\\Default Frontend EX01']);
  });
});
