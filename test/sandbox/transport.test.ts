// PROXY protocol over the wire, a real SMTP client (nodemailer), and the protocol log read
// back by the project's own log reader (`exrelay logs`).
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer from 'nodemailer';
import { buildLogsDocument } from '../../src/logs/aggregate.js';
import { readLogs } from '../../src/logs/reader.js';
import type { Snapshot } from '../../src/model.js';
import { encodeProxyV2 } from '../../src/sandbox/proxy-protocol.js';
import { loadFixture, RawClient, start, withoutDate } from './helpers.js';

let estate: Snapshot;
before(async () => { estate = await loadFixture('estate-2019.snapshot.json'); });

describe('PROXY protocol', () => {
  it('selects by the v1 and v2 source address, and a direct trusted client still works', async () => {
    const s = await start(estate, { proxyProtocol: true, xclient: false, proxyGraceMs: 200 });
    try {
      const v1 = await RawClient.connect(s.portOf(25), Buffer.from('PROXY TCP4 192.0.2.5 10.0.0.11 40000 25\r\n'));
      assert.equal(withoutDate(await v1.line()), '220 relay.corp.example Microsoft ESMTP MAIL Service ready at <date>');
      assert.equal((await v1.command('EHLO a')).split('\r\n')[0], '250-relay.corp.example Hello [192.0.2.5]');
      v1.end();
      const v2 = await RawClient.connect(s.portOf(25), encodeProxyV2({ address: '192.0.2.40', port: 40001 }, { address: '10.0.0.11', port: 25 }));
      assert.equal(await v2.line(), '220 mail.corp.example Microsoft ESMTP');
      v2.end();
      const direct = await RawClient.connect(s.portOf(25));
      assert.equal(withoutDate(await direct.line()), '220 ex01.corp.example Microsoft ESMTP MAIL Service ready at <date>');
      direct.end();
      const garbage = await RawClient.connect(s.portOf(25), Buffer.from('HELLO THERE\r\n'));
      assert.equal(await garbage.line(), '421 4.3.2 Service not available');
      assert.equal(await garbage.closedByServer(), true);
    } finally { await s.stop(); }
  });

  it('XCLIENT outranks the PROXY source', async () => {
    const s = await start(estate, { proxyProtocol: true, xclient: true });
    try {
      const c = await RawClient.connect(s.portOf(25), Buffer.from('PROXY TCP4 198.51.100.7 10.0.0.11 40000 25\r\n'));
      assert.equal(withoutDate(await c.line()), '220 ex01.corp.example Microsoft ESMTP MAIL Service ready at <date>');
      assert.equal(withoutDate(await c.command('XCLIENT ADDR=192.0.2.5')), '220 relay.corp.example Microsoft ESMTP MAIL Service ready at <date>');
      c.end();
    } finally { await s.stop(); }
  });
});

describe('nodemailer as the client', () => {
  it('relays through the connector --client-ip selects; the response is the queued line with the capture id', async () => {
    const s = await start(estate, { clientIp: '192.0.2.5', xclient: false });
    try {
      const transport = nodemailer.createTransport({ host: '127.0.0.1', port: s.portOf(25), secure: false, tls: { rejectUnauthorized: false } });
      const info = await transport.sendMail({ from: 'app@corp.example', to: 'someone@external.example', subject: 'hello', text: 'body', messageId: '<nm1@app>' });
      transport.close();
      const id = /^250 2\.6\.0 <nm1@app> \[InternalId=(\d+), Hostname=ex01\.corp\.example\] Queued mail for delivery$/.exec(info.response)?.[1];
      assert.ok(id !== undefined, info.response);
      const envelope = JSON.parse(await readFile(join(s.dir, 'capture', `${id}.json`), 'utf8')) as { tls: boolean; clientAddressOrigin: string };
      assert.deepEqual([envelope.tls, envelope.clientAddressOrigin], [true, 'client-ip']);
    } finally { await s.stop(); }
  });

  it('submits with STARTTLS and AUTH LOGIN from the users file; a wrong password is 535 5.7.3', async () => {
    const users = [{ user: 'CORP\\svc-app', password: 'secret', addresses: ['app@corp.example'] }];
    const s = await start(estate, { clientIp: '192.0.2.70', xclient: false, users });
    try {
      const good = nodemailer.createTransport({ host: '127.0.0.1', port: s.portOf(587), secure: false, requireTLS: true, tls: { rejectUnauthorized: false }, auth: { user: 'CORP\\svc-app', pass: 'secret' } });
      const info = await good.sendMail({ from: 'app@corp.example', to: 'someone@external.example', subject: 's', text: 'b' });
      good.close();
      assert.match(info.response, /^250 2\.6\.0 /);
      const bad = nodemailer.createTransport({ host: '127.0.0.1', port: s.portOf(587), secure: false, tls: { rejectUnauthorized: false }, auth: { user: 'CORP\\svc-app', pass: 'wrong' } });
      await assert.rejects(bad.sendMail({ from: 'app@corp.example', to: 'x@external.example', text: 'b' }), (e: Error & { response?: string }) => e.response === '535 5.7.3 Authentication unsuccessful');
      bad.close();
    } finally { await s.stop(); }
  });
});

describe('protocol log', () => {
  it("is Exchange's format and `exrelay logs` reads it back: sessions, messages, senders, rejections", async () => {
    const users = [{ user: 'CORP\\svc-app', password: 'secret', addresses: ['app@corp.example'] }];
    const s = await start(estate, { users });
    const logDir = join(s.dir, 'logs');
    await s.sandbox.close();
    const s2 = await start(estate, { users, protocolLogDir: logDir, captureDir: join(s.dir, 'capture') });
    try {
      const relay = await RawClient.connect(s2.portOf(25));
      await relay.line();
      await relay.command('XCLIENT ADDR=192.0.2.5');
      await relay.command('EHLO app01');
      await relay.command('MAIL FROM:<app@corp.example>');
      await relay.command('RCPT TO:<a@external.example>');
      await relay.command('DATA');
      await relay.command('Subject: x\r\n\r\nbody\r\n.');
      await relay.command('QUIT');
      await relay.closedByServer();
      const denied = await RawClient.connect(s2.portOf(25));
      await denied.line();
      await denied.command('XCLIENT ADDR=198.51.100.7');
      await denied.command('EHLO mx');
      await denied.command('MAIL FROM:<a@example.net>');
      await denied.command('RCPT TO:<b@fabrikam.example>');
      denied.end();
      const auth = await RawClient.connect(s2.portOf(587));
      await auth.line();
      await auth.command('XCLIENT ADDR=192.0.2.70');
      await auth.command('EHLO app');
      await auth.command('AUTH LOGIN');
      await auth.command(Buffer.from('CORP\\svc-app').toString('base64'));
      assert.equal(await auth.command(Buffer.from('secret').toString('base64')), '235 2.7.0 Authentication successful');
      await auth.command('QUIT');
      await auth.closedByServer();
    } finally { await s2.stop(); }

    const files = await readdir(logDir);
    assert.equal(files.length, 1);
    assert.match(files[0] ?? '', /^RECV\d{8}-1\.LOG$/);
    const text = await readFile(join(logDir, files[0] ?? ''), 'utf8');
    assert.ok(!text.includes(Buffer.from('secret').toString('base64')), 'credentials never reach the log');
    assert.match(text, /,<,AUTH LOGIN,\r\n.*,>,334 <authentication response>,/);
    assert.match(text, /,\*,CORP\\svc-app,authenticated\r\n/);
    assert.match(text, /EX01\\Client Frontend EX01,[0-9A-F]{16},1,[^,]+,[^,]+,\*,None,Set Session Permissions/);
    // Exchange's port and the local address used (unknown here: the wildcard), not the sandbox's socket.
    assert.match(text, /EX01\\Relay EX01,[0-9A-F]{16},\d+,0\.0\.0\.0:25,127\.0\.0\.1:\d+,>,250 {2}relay\.corp\.example Hello \[192\.0\.2\.5\] SIZE 37748736 PIPELINING/);
    assert.match(text, /,-,,Local\r\n/);
    assert.match(text, /,-,,Remote\r\n/);

    const read = await readLogs([logDir], { workers: 0 });
    const doc = buildLogsDocument(read.aggregate, { files: read.files, lines: read.lines }, null);
    assert.equal(doc.sessions, 3);
    assert.equal(doc.messages, 1);
    const relaySender = doc.senders.find((x) => x.connector === 'EX01\\Relay EX01');
    assert.ok(relaySender !== undefined, JSON.stringify(doc.senders));
    assert.deepEqual(relaySender.rcptDomains, { 'external.example': 1 });
    const deniedSender = doc.senders.find((x) => x.connector === 'EX01\\Default Frontend EX01');
    assert.equal(deniedSender?.rejectedRecipients, 1);
    const authSender = doc.senders.find((x) => x.connector === 'EX01\\Apps EX01');
    assert.deepEqual(authSender?.authenticatedAs, ['CORP\\svc-app']);
  });
});
