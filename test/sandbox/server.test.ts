// The sandbox over real sockets: exact transcripts with a raw client (reference §6 texts),
// connector selection from XCLIENT / --client-ip / the peer, capture before the final 250,
// and the reply seam replacing smtp-server's own success texts.
import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Snapshot } from '../../src/model.js';
import { loadFixture, RawClient, start, withoutDate, type Started } from './helpers.js';

let estate: Snapshot;
before(async () => { estate = await loadFixture('estate-2019.snapshot.json'); });

async function captured(s: Started): Promise<string[]> {
  try { return (await readdir(join(s.dir, 'capture'))).sort(); } catch { return []; }
}

describe('sandbox dialogue over the wire', () => {
  let s: Started;
  before(async () => { s = await start(estate); });
  after(async () => { await s.stop(); });

  it("greets a loopback client with the Default Frontend's banner and Exchange's EHLO, plus XCLIENT for the trusted client", async () => {
    const c = await RawClient.connect(s.portOf(25));
    assert.equal(withoutDate(await c.line()), '220 ex01.corp.example Microsoft ESMTP MAIL Service ready at <date>');
    assert.match(await c.command('NOOP'), /^250 2\.0\.0 OK$/);
    assert.deepEqual((await c.command('EHLO app01')).split('\r\n'), [
      '250-ex01.corp.example Hello [127.0.0.1]', '250-SIZE 37748736', '250-PIPELINING', '250-DSN', '250-ENHANCEDSTATUSCODES',
      '250-STARTTLS', '250-X-ANONYMOUSTLS', '250-AUTH NTLM', '250-X-EXPS GSSAPI NTLM', '250-8BITMIME', '250-BINARYMIME',
      '250-CHUNKING', '250-XRDST', '250 XCLIENT NAME ADDR PORT PROTO HELO LOGIN',
    ]);
    assert.equal(await c.command('HELO app01'), '250 ex01.corp.example Hello [127.0.0.1]');
    assert.equal(await c.command('VRFY someone'), '252 2.1.5 Cannot VRFY user');
    assert.equal(await c.command('HELP'), '214-This server supports the following commands:\r\n214 HELO EHLO STARTTLS RCPT DATA RSET MAIL QUIT HELP AUTH BDAT');
    assert.equal(await c.command('XFORWARD ADDR=192.0.2.1'), '500 5.3.3 Unrecognized command');
    assert.equal(await c.command('QUIT'), '221 2.0.0 Service closing transmission channel');
    assert.equal(await c.closedByServer(), true);
  });

  it('XCLIENT re-selects the relay connector; its success texts replace "250 Accepted"; the message is captured before the 250', async () => {
    const c = await RawClient.connect(s.portOf(25));
    await c.line();
    assert.equal(withoutDate(await c.command('XCLIENT ADDR=192.0.2.5')), '220 relay.corp.example Microsoft ESMTP MAIL Service ready at <date>');
    const ehlo = (await c.command('EHLO app01')).split('\r\n');
    assert.equal(ehlo[0], '250-relay.corp.example Hello [192.0.2.5]');
    assert.ok(!ehlo.some((l) => l.includes('XCLIENT')), 'XCLIENT is offered once, before an address was set');
    assert.equal(await c.command('MAIL FROM:<app@corp.example>'), '250 2.1.0 Sender OK');
    assert.equal(await c.command('RCPT TO:<someone@external.example>'), '250 2.1.5 Recipient OK');
    assert.equal(await c.command('RCPT TO:<user@corp.example>'), '250 2.1.5 Recipient OK');
    assert.equal(await c.command('DATA'), '354 Start mail input; end with <CRLF>.<CRLF>');
    const final = await c.command('From: <app@corp.example>\r\nSubject: t\r\nMessage-ID: <m1@app01>\r\n\r\nhello\r\n..dot\r\n.');
    const m = /^250 2\.6\.0 <m1@app01> \[InternalId=(\d+), Hostname=ex01\.corp\.example\] Queued mail for delivery$/.exec(final);
    assert.ok(m, final);
    const id = m[1] ?? '';
    const files = await captured(s);
    assert.ok(files.includes(`${id}.eml`) && files.includes(`${id}.json`), files.join(','));
    const eml = await readFile(join(s.dir, 'capture', `${id}.eml`), 'latin1');
    assert.match(eml, /^Received: from app01 \(192\.0\.2\.5\) by relay\.corp\.example\r\n \(10\.0\.0\.11\) with Microsoft SMTP Server id 15\.2\.1118\.7 via Frontend Transport;\r\n [A-Z][a-z]{2}, \d{1,2} [A-Z][a-z]{2} \d{4} \d\d:\d\d:\d\d [+-]\d{4}\r\nFrom: <app@corp\.example>/);
    assert.ok(eml.endsWith('\r\nhello\r\n.dot\r\n'), 'dot-unstuffed body as received');
    const envelope = JSON.parse(await readFile(join(s.dir, 'capture', `${id}.json`), 'utf8')) as Record<string, unknown>;
    assert.deepEqual(
      { connector: envelope.connector, clientAddress: envelope.clientAddress, origin: envelope.clientAddressOrigin, mailFrom: envelope.mailFrom, rcptTo: envelope.rcptTo, tls: envelope.tls, user: envelope.authenticatedUser, transfer: envelope.transfer, size: envelope.size },
      { connector: 'EX01\\Relay EX01', clientAddress: '192.0.2.5', origin: 'xclient', mailFrom: 'app@corp.example', rcptTo: ['someone@external.example', 'user@corp.example'], tls: false, user: null, transfer: 'DATA', size: 77 },
    );
    c.end();
  });

  it('an unlisted address gets the 2019 relay-denied reply and nothing is captured', async () => {
    const before = await captured(s);
    const c = await RawClient.connect(s.portOf(25));
    await c.line();
    await c.command('XCLIENT ADDR=198.51.100.7');
    await c.command('EHLO mx.example.net');
    assert.equal(await c.command('MAIL FROM:<a@example.net>'), '250 2.1.0 Sender OK');
    assert.equal(await c.command('RCPT TO:<b@fabrikam.example>'), '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain');
    assert.equal(await c.command('DATA'), '503 5.5.2 Need rcpt command');
    assert.equal(await c.command('MAIL FROM:<a@example.net>'), '503 5.5.2 Sender already specified');
    assert.equal(await c.command('RSET'), '250 2.0.0 Resetting');
    assert.equal(await c.command('RCPT TO:<b@corp.example>'), '503 5.5.2 Need mail command');
    c.end();
    assert.deepEqual(await captured(s), before);
  });

  it("translates smtp-server's own errors into Exchange's", async () => {
    const c = await RawClient.connect(s.portOf(25));
    await c.line();
    assert.equal(await c.command('MAIL FROM:<a@example.net>'), '503 5.5.2 Send hello first');
    assert.equal(await c.command('EHLO'), '501 5.5.4 Invalid domain name');
    await c.command('EHLO x');
    assert.equal(await c.command('MAIL FROM:<not an address>'), '501 5.1.7 Invalid address');
    assert.equal(await c.command('FOO bar'), '500 5.3.3 Unrecognized command');
    c.end();
    // A fresh session: four protocol errors are as many as MaxProtocolErrors (5) leaves open.
    const d = await RawClient.connect(s.portOf(25));
    await d.line();
    await d.command('EHLO x');
    assert.equal(await d.command('MAIL FROM:<a@example.net> BODY=BINARYMIME'), '250 2.1.0 Sender OK');
    assert.equal(await d.command('RCPT TO:<@@>'), '501 5.1.3 Invalid address');
    assert.equal(await d.command('AUTH PLAIN'), '503 5.5.1 Bad sequence of commands');
    d.end();
  });

  it('limits, banner override and TarpitInterval-free errors on the Limited connector', async () => {
    const c = await RawClient.connect(s.portOf(25));
    await c.line();
    assert.equal(await c.command('XCLIENT ADDR=192.0.2.40'), '220 mail.corp.example Microsoft ESMTP');
    const ehlo = (await c.command('EHLO app')).split('\r\n');
    assert.equal(ehlo[1], '250-SIZE 4000');
    assert.equal(await c.command('MAIL FROM:<a@corp.example> SIZE=5000'), '552 5.3.4 Message size exceeds fixed maximum message size');
    assert.equal(await c.command('MAIL FROM:<a@corp.example> SIZE=100'), '250 2.1.0 Sender OK');
    assert.equal(await c.command('RCPT TO:<u1@corp.example>'), '250 2.1.5 Recipient OK');
    assert.equal(await c.command('RCPT TO:<u2@corp.example>'), '250 2.1.5 Recipient OK');
    assert.equal(await c.command('RCPT TO:<u3@corp.example>'), '452 4.5.3 Too many recipients');
    assert.equal(await c.command('DATA'), '354 Start mail input; end with <CRLF>.<CRLF>');
    assert.equal(await c.command(`Subject: big\r\n\r\n${'x'.repeat(5000)}\r\n.`), '552 5.3.4 Message size exceeds fixed maximum message size');
    c.end();
  });

  it('RequireTLS: MAIL before STARTTLS gets 451 5.7.3 and the connection is closed', async () => {
    const c = await RawClient.connect(s.portOf(25));
    await c.line();
    await c.command('XCLIENT ADDR=192.0.2.50');
    await c.command('EHLO app');
    assert.equal(await c.command('MAIL FROM:<a@corp.example>'), '451 5.7.3 STARTTLS is required to send mail');
    assert.equal(await c.closedByServer(), true);
  });

  it('STARTTLS presents a certificate for the connector FQDN; EHLO then drops STARTTLS and offers LOGIN', async () => {
    const c = await RawClient.connect(s.portOf(25));
    await c.line();
    await c.command('EHLO app');
    assert.equal(await c.command('STARTTLS'), '220 2.0.0 SMTP server ready');
    // The certificate follows the connector, whatever name the client asks for (SNI).
    const secure = await c.startTls('some.other.name');
    const cert = secure.getPeerCertificate();
    assert.equal(cert.subject.CN, 'ex01.corp.example');
    assert.equal(await c.command('MAIL FROM:<a@corp.example>'), '503 5.5.2 Send hello first');
    const ehlo = (await c.command('EHLO app')).split('\r\n');
    assert.ok(!ehlo.includes('250-STARTTLS'));
    assert.ok(ehlo.includes('250-AUTH NTLM LOGIN'), ehlo.join('|'));
    assert.equal(await c.command('STARTTLS'), '503 5.5.2 Only one STARTTLS command can be issued per session');
    c.end();
  });

  it('BDAT: chunks are read raw, the LAST one is answered with the queued line after capture', async () => {
    const c = await RawClient.connect(s.portOf(25));
    await c.line();
    await c.command('XCLIENT ADDR=192.0.2.6');
    await c.command('EHLO app');
    await c.command('MAIL FROM:<app@corp.example> BODY=BINARYMIME');
    await c.command('RCPT TO:<x@external.example>');
    const part1 = 'From: <app@corp.example>\r\nMessage-ID: <b1@app>\r\n\r\n';
    const part2 = '.\r\nQUIT\r\nnot a command\r\n';
    c.write(`BDAT ${Buffer.byteLength(part1)}\r\n${part1}`);
    assert.equal(await c.line(), `250 2.0.0 ${Buffer.byteLength(part1)} bytes received`);
    c.write(`BDAT ${Buffer.byteLength(part2)} LAST\r\n${part2}`);
    const final = await c.line();
    const m = /^250 2\.6\.0 <b1@app> \[InternalId=(\d+), Hostname=ex01\.corp\.example\] Queued mail for delivery$/.exec(final);
    assert.ok(m, final);
    const eml = await readFile(join(s.dir, 'capture', `${m[1] ?? ''}.eml`), 'latin1');
    assert.ok(eml.endsWith(part1 + part2));
    const envelope = JSON.parse(await readFile(join(s.dir, 'capture', `${m[1] ?? ''}.json`), 'utf8')) as { transfer: string; size: number };
    assert.deepEqual([envelope.transfer, envelope.size], ['BDAT', Buffer.byteLength(part1 + part2)]);
    assert.equal(await c.command('NOOP'), '250 2.0.0 OK');
    c.end();
  });
});

describe('sandbox AUTH and send-as', () => {
  let s: Started;
  before(async () => {
    s = await start(estate, { users: [{ user: 'CORP\\svc-app', password: 'secret', addresses: ['app@corp.example'] }] });
  });
  after(async () => { await s.stop(); });
  const b64 = (t: string): string => Buffer.from(t).toString('base64');

  it('AUTH LOGIN against the users file: 334 prompts, 235 on good credentials, 535 on bad ones', async () => {
    const c = await RawClient.connect(s.portOf(587));
    await c.line();
    await c.command('XCLIENT ADDR=192.0.2.70');
    const ehlo = (await c.command('EHLO app')).split('\r\n');
    assert.ok(ehlo.includes('250-AUTH LOGIN'), ehlo.join('|'));
    assert.equal(await c.command('MAIL FROM:<app@corp.example>'), '530 5.7.57 SMTP; Client was not authenticated to send anonymous mail during MAIL FROM');
    assert.equal(await c.command('AUTH LOGIN'), '334 VXNlcm5hbWU6');
    assert.equal(await c.command(b64('CORP\\svc-app')), '334 UGFzc3dvcmQ6');
    assert.equal(await c.command(b64('wrong')), '535 5.7.3 Authentication unsuccessful');
    assert.equal(await c.command(`AUTH LOGIN ${b64('svc-app')}`), '334 UGFzc3dvcmQ6');
    assert.equal(await c.command(b64('secret')), '235 2.7.0 Authentication successful');
    assert.equal(await c.command('AUTH LOGIN'), '503 5.5.2 Auth command already specified');
    assert.equal(await c.command('MAIL FROM:<app@corp.example>'), '250 2.1.0 Sender OK');
    assert.equal(await c.command('RCPT TO:<x@external.example>'), '250 2.1.5 Recipient OK');
    await c.command('DATA');
    const final = await c.command('From: <app@corp.example>\r\n\r\nhi\r\n.');
    const id = /InternalId=(\d+)/.exec(final)?.[1] ?? '';
    const envelope = JSON.parse(await readFile(join(s.dir, 'capture', `${id}.json`), 'utf8')) as { authenticatedUser: string };
    assert.equal(envelope.authenticatedUser, 'CORP\\svc-app', 'the account as the users file names it');
    c.end();
  });

  it('NTLM is advertised as Exchange does but refused politely; PLAIN is not offered', async () => {
    const c = await RawClient.connect(s.portOf(25));
    await c.line();
    await c.command('EHLO app');
    assert.equal(await c.command('AUTH NTLM'), '454 4.7.0 Temporary authentication failure');
    assert.equal(await c.command('AUTH PLAIN'), '504 5.7.4 Unrecognized authentication type');
    c.end();
  });

  it('send-as on the hub connector: own address accepted, another internal sender refused after DATA', async () => {
    const c = await RawClient.connect(s.portOf(2525));
    await c.line();
    await c.command('EHLO app');
    await c.command('STARTTLS');
    await c.startTls();
    await c.command('EHLO app');
    await c.command('AUTH LOGIN');
    await c.command(b64('CORP\\svc-app'));
    assert.equal(await c.command(b64('secret')), '235 2.7.0 Authentication successful');
    await c.command('MAIL FROM:<other@corp.example>');
    await c.command('RCPT TO:<x@corp.example>');
    await c.command('DATA');
    assert.equal(await c.command('From: <other@corp.example>\r\n\r\nhi\r\n.'), '550 5.7.60 SMTP; Client does not have permissions to send as this sender');
    await c.command('MAIL FROM:<app@corp.example>');
    await c.command('RCPT TO:<x@corp.example>');
    await c.command('DATA');
    assert.match(await c.command('From: <app@corp.example>\r\n\r\nhi\r\n.'), /^250 2\.6\.0 /);
    c.end();
  });
});

describe('sandbox connector selection', () => {
  it('--client-ip selects as that address; XCLIENT from an untrusted view is unknown', async () => {
    const s = await start(estate, { clientIp: '192.0.2.5', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      assert.equal(withoutDate(await c.line()), '220 relay.corp.example Microsoft ESMTP MAIL Service ready at <date>');
      assert.ok(!(await c.command('EHLO a')).includes('XCLIENT'));
      assert.equal(await c.command('XCLIENT ADDR=198.51.100.1'), '500 5.3.3 Unrecognized command');
      c.end();
    } finally { await s.stop(); }
  });

  it('a trusted client whose own address selects nothing gets a neutral greeting and may XCLIENT; no match is 421 4.3.2', async () => {
    const narrow: Snapshot = { ...estate, connectors: estate.connectors.filter((c) => c.name === 'Relay EX01') };
    const s = await start(narrow);
    try {
      const c = await RawClient.connect(s.portOf(25));
      assert.match(await c.line(), /^220 ex01\.corp\.example exrelay sandbox for EX01 port 25: no connector takes \[127\.0\.0\.1\]; send XCLIENT ADDR=<address>$/);
      assert.deepEqual((await c.command('EHLO a')).split('\r\n'), ['250-ex01.corp.example Hello [127.0.0.1]', '250 XCLIENT NAME ADDR PORT PROTO HELO LOGIN']);
      assert.match(await c.command('XCLIENT NAME=printer.corp.example'), /^220 .* no connector takes \[127\.0\.0\.1\]/);
      assert.equal(await c.command('XCLIENT ADDR=198.51.100.1'), '421 4.3.2 Service not available');
      assert.equal(await c.closedByServer(), true);
      const d = await RawClient.connect(s.portOf(25));
      await d.line();
      assert.equal(withoutDate(await d.command('XCLIENT ADDR=192.0.2.9')), '220 relay.corp.example Microsoft ESMTP MAIL Service ready at <date>');
      d.end();
    } finally { await s.stop(); }
    const strict = await start(narrow, { xclient: false });
    try {
      const c = await RawClient.connect(strict.portOf(25));
      assert.equal(await c.line(), '421 4.3.2 Service not available');
      assert.equal(await c.closedByServer(), true);
    } finally { await strict.stop(); }
  });

  it('--tarpit delays error replies by TarpitInterval and releases pipelined replies together', async () => {
    const s = await start(estate, { tarpit: true });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      await c.command('XCLIENT ADDR=192.0.2.40'); // Limited EX01: TarpitInterval 00:00:01
      await c.command('EHLO a');
      await c.command('MAIL FROM:<a@corp.example>');
      const t0 = Date.now();
      c.write('RCPT TO:<x@external.example>\r\nNOOP\r\n');
      assert.equal(await c.line(), '550 5.7.54 SMTP; Unable to relay recipient in non-accepted domain');
      const waited = Date.now() - t0;
      assert.ok(waited >= 900, `tarpit held the reply ${waited} ms`);
      assert.equal(await c.line(100), '250 2.0.0 OK');
      c.end();
    } finally { await s.stop(); }
  });

  it('BareLinefeedRejectionEnabled: a message with a bare LF gets 554 5.6.0 and nothing is captured; CRLF-only mail and other connectors are unaffected', async () => {
    const strict: Snapshot = { ...estate, connectors: estate.connectors.map((c) => c.name === 'Relay EX01' ? { ...c, extra: { ...c.extra, BareLinefeedRejectionEnabled: true } } : c) };
    const s = await start(strict);
    try {
      // bdat: the offset where the message is cut into two chunks (a CR ending one chunk and the
      // LF starting the next are still CRLF; an LF starting a chunk after another byte is bare).
      const send = async (address: string, body: string, bdat: number | null): Promise<string> => {
        const c = await RawClient.connect(s.portOf(25));
        await c.line();
        await c.command(`XCLIENT ADDR=${address}`);
        await c.command('EHLO app');
        await c.command('MAIL FROM:<app@corp.example>');
        await c.command('RCPT TO:<user@corp.example>');
        let final: string;
        if (bdat !== null) {
          const [first, second] = [body.slice(0, bdat), body.slice(bdat)];
          c.write(`BDAT ${first.length}\r\n${first}`);
          assert.match(await c.line(), /^250 2\.0\.0 /);
          c.write(`BDAT ${second.length} LAST\r\n${second}`);
          final = await c.line();
        } else {
          await c.command('DATA');
          final = await c.command(`${body}.`);
        }
        c.end();
        return final;
      };
      const before = (await captured(s)).length;
      assert.equal(await send('192.0.2.5', 'Subject: a\nbare\r\n', null), '554 5.6.0 Invalid message content, contains bare linefeeds');
      assert.equal(await send('192.0.2.5', 'Subject: a\r\n\r\nno\nbare\r\n', 16), '554 5.6.0 Invalid message content, contains bare linefeeds');
      assert.equal(await send('192.0.2.5', 'Subject: a\r\n\r\nno\nbare\r\n', 13), '554 5.6.0 Invalid message content, contains bare linefeeds');
      assert.equal((await captured(s)).length, before, 'a rejected message is not captured');
      assert.match(await send('192.0.2.5', 'Subject: b\r\n\r\ncrlf\r\n', null), /^250 2\.6\.0 /);
      assert.match(await send('192.0.2.5', 'Subject: c\r\n\r\nx\r\n', 11), /^250 2\.6\.0 /, 'CR | LF across chunks is CRLF');
      // The Default Frontend keeps the default (off): the same bare LF is accepted there.
      assert.match(await send('198.51.100.7', 'Subject: a\nbare\r\n', null), /^250 2\.6\.0 /);
    } finally { await s.stop(); }
  });

  it('--flavor 2010 answers with 2010 texts; its queued line quotes the Message-ID the envelope records', async () => {
    const s = await start(estate, { flavor: '2010' });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      await c.command('XCLIENT ADDR=198.51.100.7');
      await c.command('EHLO mx');
      await c.command('MAIL FROM:<a@example.net>');
      assert.equal(await c.command('RCPT TO:<b@fabrikam.example>'), '550 5.7.1 Unable to relay');
      assert.equal(await c.command('RCPT TO:<b@corp.example>'), '250 2.1.5 Recipient OK');
      await c.command('DATA');
      const final = await c.command('Subject: no id\r\n\r\nx\r\n.');
      const id = /^250 2\.6\.0 <(\d+)@ex01\.corp\.example> Queued mail for delivery$/.exec(final)?.[1];
      assert.ok(id !== undefined, final);
      const envelope = JSON.parse(await readFile(join(s.dir, 'capture', `${id}.json`), 'utf8')) as { messageId: string };
      assert.equal(envelope.messageId, `<${id}@ex01.corp.example>`);
      c.end();
    } finally { await s.stop(); }
  });

  it('a client for whose address family nothing is bound is dropped without a reply (TCP refused on Exchange)', async () => {
    const v4only: Snapshot = { ...estate, connectors: estate.connectors.map((c) => c.name === 'Relay EX01' ? c : { ...c, enabled: false }) };
    const s = await start(v4only, { clientIp: '2001:db8::5', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      assert.equal(await c.closedByServer(), true);
      await assert.rejects(c.line(100), /connection closed; unread: ""/);
    } finally { await s.stop(); }
  });

  it('port in use is a usage error naming the port', async () => {
    const s = await start(estate);
    try {
      const taken = s.portOf(25);
      await assert.rejects(start(estate, { portFor: (p) => (p === 25 ? taken : 0) }), (e: Error) => e.name === 'UsageError' && e.message.includes(`port ${taken} is already in use`));
      await assert.rejects(start(estate, { server: 'NOPE' }), (e: Error) => e.name === 'UsageError' && e.message.includes('unknown server "NOPE"'));
    } finally { await s.stop(); }
  });
});
