// Connector limits over the wire (reference §6.4a): raw sockets and nodemailer against the
// sandbox started on a default 2016 install, whose connectors carry Exchange's default limits.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import nodemailer from 'nodemailer';
import type { Snapshot } from '../../src/model.js';
import { RawClient, start } from './helpers.js';
import { readFile } from 'node:fs/promises';

const USERS = [{ user: 'CORP\\svc-app', password: 'secret', addresses: ['app@corp.example'] }];
let defaults: Snapshot;
before(async () => {
  defaults = JSON.parse(await readFile(new URL('../../fixtures/defaults/exchange-2016.json', import.meta.url), 'utf8')) as Snapshot;
});

/** The default install with one connector's limits changed. */
function withLimit(prefix: string, extra: Record<string, string>): Snapshot {
  const copy = JSON.parse(JSON.stringify(defaults)) as Snapshot;
  const c = copy.connectors.find((x) => x.name.startsWith(prefix));
  assert.ok(c, prefix);
  c.extra = { ...c.extra, ...extra };
  return copy;
}

const TOO_MANY_ERRORS = '421 4.7.0 Too many errors on this connection, closing transmission channel';

describe('MaxProtocolErrors', () => {
  it('Default Frontend (5): the fifth protocol error closes the session with 421 4.7.0', async () => {
    const s = await start(defaults, { clientIp: '198.51.100.7', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      for (let i = 0; i < 4; i++) assert.equal(await c.command(`FOO${i}`), '500 5.3.3 Unrecognized command');
      assert.equal(await c.command('BAR'), TOO_MANY_ERRORS);
      assert.equal(await c.closedByServer(), true);
    } finally { await s.stop(); }
  });

  it('a connector value above the library\'s 10 is honoured', async () => {
    const s = await start(withLimit('Default Frontend', { MaxProtocolErrors: '12' }), { clientIp: '198.51.100.7', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      for (let i = 0; i < 11; i++) assert.equal(await c.command(`FOO${i}`), '500 5.3.3 Unrecognized command', `error ${i + 1}`);
      assert.equal(await c.command('BAR'), TOO_MANY_ERRORS);
    } finally { await s.stop(); }
  });
});

describe('MaxLogonFailures', () => {
  it('Client Frontend (3): two 535s, then 421 4.7.0 and the connection closes', async () => {
    const s = await start(defaults, { clientIp: '198.51.100.7', xclient: false, users: USERS });
    try {
      const c = await RawClient.connect(s.portOf(587));
      await c.line();
      await c.command('EHLO laptop');
      assert.equal(await c.command('STARTTLS'), '220 2.0.0 SMTP server ready');
      await c.startTls();
      await c.command('EHLO laptop');
      const user = Buffer.from('CORP\\svc-app').toString('base64');
      const wrong = Buffer.from('wrong').toString('base64');
      for (const expected of ['535 5.7.3 Authentication unsuccessful', '535 5.7.3 Authentication unsuccessful', TOO_MANY_ERRORS]) {
        assert.equal(await c.command('AUTH LOGIN'), '334 VXNlcm5hbWU6');
        assert.equal(await c.command(user), '334 UGFzc3dvcmQ6');
        assert.equal(await c.command(wrong), expected);
      }
      assert.equal(await c.closedByServer(), true);
    } finally { await s.stop(); }
  });
});

describe('MaxHeaderSize and MaxHopCount', () => {
  it('a header section over MaxHeaderSize is 552 5.3.4 over DATA and over BDAT; within it is queued', async () => {
    const s = await start(withLimit('Default Frontend', { MaxHeaderSize: '2 KB (2,048 bytes)' }), { clientIp: '198.51.100.7', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      await c.command('EHLO mx');
      const big = `X-Big: ${'b'.repeat(3000)}\r\nSubject: big\r\n\r\nbody\r\n`;
      await c.command('MAIL FROM:<a@example.net>');
      await c.command('RCPT TO:<user@corp.example>');
      await c.command('DATA');
      assert.equal(await c.command(`${big}.`), '552 5.3.4 Header size exceeds fixed maximum size');
      await c.command('MAIL FROM:<a@example.net>');
      await c.command('RCPT TO:<user@corp.example>');
      c.write(`BDAT ${Buffer.byteLength(big)} LAST\r\n${big}`);
      assert.equal(await c.line(), '552 5.3.4 Header size exceeds fixed maximum size');
      await c.command('MAIL FROM:<a@example.net>');
      await c.command('RCPT TO:<user@corp.example>');
      await c.command('DATA');
      // A large body does not count: only the header section does.
      assert.match(await c.command(`Subject: small\r\n\r\n${'x'.repeat(5000)}\r\n.`), /^250 2\.6\.0 /);
      c.end();
    } finally { await s.stop(); }
  });

  it('more Received headers than MaxHopCount (60) is 554 5.4.6', async () => {
    const s = await start(defaults, { clientIp: '198.51.100.7', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      await c.command('EHLO mx');
      const hops = (n: number): string => Array.from({ length: n }, (_, i) => `Received: from h${i} by h${i + 1}; Tue, 4 Mar 2025 10:00:00 +0000\r\n`).join('');
      await c.command('MAIL FROM:<a@example.net>');
      await c.command('RCPT TO:<user@corp.example>');
      await c.command('DATA');
      assert.equal(await c.command(`${hops(61)}Subject: loop\r\n\r\nx\r\n.`), '554 5.4.6 Hop count exceeded - possible mail loop');
      await c.command('MAIL FROM:<a@example.net>');
      await c.command('RCPT TO:<user@corp.example>');
      await c.command('DATA');
      assert.match(await c.command(`${hops(60)}Subject: ok\r\n\r\nx\r\n.`), /^250 2\.6\.0 /);
      c.end();
    } finally { await s.stop(); }
  });
});

describe('MessageRateLimit (nodemailer, one session per message)', () => {
  it('Client Frontend: five messages a minute per user, the sixth is 421 4.4.2', async () => {
    const s = await start(defaults, { clientIp: '198.51.100.9', xclient: false, users: USERS });
    try {
      const send = async (): Promise<string> => {
        const transport = nodemailer.createTransport({
          host: '127.0.0.1', port: s.portOf(587), secure: false, requireTLS: true, tls: { rejectUnauthorized: false },
          auth: { user: 'CORP\\svc-app', pass: 'secret' }, authMethod: 'LOGIN',
        });
        try {
          return (await transport.sendMail({ from: 'app@corp.example', to: 'user@corp.example', subject: 's', text: 'b' })).response;
        } catch (error) {
          return (error as { response?: string }).response ?? String(error);
        } finally { transport.close(); }
      };
      for (let i = 0; i < 5; i++) assert.match(await send(), /^250 2\.6\.0 /, `message ${i + 1}`);
      assert.equal(await send(), '421 4.4.2 Message submission rate for this client has exceeded the configured limit');
    } finally { await s.stop(); }
  });
});

describe('MaxInboundConnectionPerSource and MaxInboundConnection', () => {
  it('Default Frontend (20 per source): the 21st connection from one address is refused with 421 4.3.2', async () => {
    const s = await start(defaults, { clientIp: '198.51.100.7', xclient: false });
    const open: RawClient[] = [];
    try {
      for (let i = 0; i < 20; i++) {
        const c = await RawClient.connect(s.portOf(25));
        assert.match(await c.line(), /^220 /);
        open.push(c);
      }
      const extra = await RawClient.connect(s.portOf(25));
      assert.equal(await extra.line(), '421 4.3.2 The maximum number of concurrent connections has exceeded a limit, closing transmission channel');
      assert.equal(await extra.closedByServer(), true);
      // One leaves: the next one is served again.
      open.pop()?.end();
      await new Promise((r) => setTimeout(r, 100));
      const again = await RawClient.connect(s.portOf(25));
      assert.match(await again.line(), /^220 /);
      open.push(again);
    } finally {
      for (const c of open) c.end();
      await s.stop();
    }
  });

  it('MaxInboundConnection counts every source of the connector', async () => {
    const s = await start(withLimit('Default Frontend', { MaxInboundConnection: '2' }), { xclient: true });
    const open: RawClient[] = [];
    try {
      for (const address of ['198.51.100.1', '198.51.100.2']) {
        const c = await RawClient.connect(s.portOf(25));
        await c.line();
        assert.match(await c.command(`XCLIENT ADDR=${address}`), /^220 /);
        open.push(c);
      }
      // The third connection is refused at once: the connector already serves two.
      const third = await RawClient.connect(s.portOf(25));
      open.push(third);
      assert.equal(await third.line(), '421 4.3.2 The maximum number of concurrent server connections has exceeded a limit, closing transmission channel');
      assert.equal(await third.closedByServer(), true);
    } finally {
      for (const c of open) c.end();
      await s.stop();
    }
  });
});
