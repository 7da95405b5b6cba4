// Exchange fidelity round 2 over the wire: a real SMTP client (nodemailer) and raw sockets
// against the sandbox, for the rules replay also answers (parity.test.ts plays the same
// scenarios through both): hub-side sender checks of authenticated Front End sessions, a port
// both transport services bind, and the sandbox's own wire syntax.
import { describe, it, before } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
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

describe('MAIL/RCPT syntax as Exchange reads it (raw socket, reference §6.4)', () => {
  let estate: Snapshot;
  before(async () => { estate = await loadFixture('estate-2019.snapshot.json'); });

  it('a printer\'s bare addresses (`MAIL FROM: a@b`, `RCPT TO: a@b`) are accepted and captured', async () => {
    const s = await start(estate, { clientIp: '192.0.2.5', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      await c.command('HELO printer');
      assert.equal(await c.command('MAIL FROM: printer@corp.example'), '250 2.1.0 Sender OK');
      assert.equal(await c.command('RCPT TO: someone@external.example'), '250 2.1.5 Recipient OK');
      assert.equal(await c.command('RCPT TO:user@corp.example'), '250 2.1.5 Recipient OK');
      assert.equal(await c.command('DATA'), '354 Start mail input; end with <CRLF>.<CRLF>');
      const queued = await c.command('Subject: scan\r\n\r\nscan\r\n.');
      assert.match(queued, /^250 2\.6\.0 /);
      const id = /InternalId=(\d+)/.exec(queued)?.[1];
      const envelope = JSON.parse(await readFile(join(s.dir, 'capture', `${id ?? ''}.json`), 'utf8')) as { mailFrom: string; rcptTo: string[] };
      assert.deepEqual([envelope.mailFrom, envelope.rcptTo], ['printer@corp.example', ['someone@external.example', 'user@corp.example']]);
      c.end();
    } finally { await s.stop(); }
  });

  it('an unknown MAIL or RCPT parameter is 501 5.5.4 Unrecognized parameter; known ones pass', async () => {
    const s = await start(estate, { clientIp: '192.0.2.5', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      await c.command('EHLO app');
      assert.equal(await c.command('MAIL FROM:<app@corp.example> FOO=BAR'), '501 5.5.4 Unrecognized parameter');
      assert.equal(await c.command('MAIL FROM:<app@corp.example> SIZE=100 BODY=8BITMIME'), '250 2.1.0 Sender OK');
      assert.equal(await c.command('RCPT TO:<user@corp.example> XYZZY'), '501 5.5.4 Unrecognized parameter');
      assert.equal(await c.command('RCPT TO:<user@corp.example> NOTIFY=NEVER'), '250 2.1.5 Recipient OK');
      c.end();
    } finally { await s.stop(); }
  });

  it('a quoted local part works in RCPT as in MAIL; broken addresses are 501 5.1.7 / 5.1.3', async () => {
    const s = await start(estate, { clientIp: '192.0.2.5', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      await c.command('EHLO app');
      assert.equal(await c.command('MAIL FROM:<"scan desk"@corp.example>'), '250 2.1.0 Sender OK');
      assert.equal(await c.command('RCPT TO:<"john doe"@corp.example>'), '250 2.1.5 Recipient OK');
      assert.equal(await c.command('RCPT TO:<"a@b"@corp.example>'), '250 2.1.5 Recipient OK');
      assert.equal(await c.command('RCPT TO:<no-domain>'), '501 5.1.3 Invalid address');
      assert.equal(await c.command('RCPT TO:<"unterminated@corp.example>'), '501 5.1.3 Invalid address');
      assert.equal(await c.command('RSET'), '250 2.0.0 Resetting');
      assert.equal(await c.command('MAIL FROM:<a@@b>'), '501 5.1.7 Invalid address');
      assert.equal(await c.command('MAIL FROM:'), '501 5.1.7 Invalid address');
      c.end();
    } finally { await s.stop(); }
  });

  it('an over-long command line gets an Exchange-style reply with an enhanced code', async () => {
    const s = await start(estate, { clientIp: '192.0.2.5', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      await c.command('EHLO app');
      const reply = await c.command(`MAIL FROM:<${'a'.repeat(20000)}@corp.example>`);
      assert.equal(reply, '500 5.5.2 Line too long');
      assert.equal(await c.closedByServer(), true);
    } finally { await s.stop(); }
  });
});

describe('BDAT chunks count against MaxMessageSize as they arrive (raw socket)', () => {
  let estate: Snapshot;
  before(async () => { estate = await loadFixture('estate-2019.snapshot.json'); });

  it('the chunk that takes the message over 4000 bytes is refused with 552 5.3.4; the session goes on', async () => {
    const s = await start(estate, { clientIp: '192.0.2.40', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      await c.command('EHLO app');
      await c.command('MAIL FROM:<a@corp.example>');
      await c.command('RCPT TO:<u@corp.example>');
      c.write(`BDAT 3000\r\n${'a'.repeat(3000)}`);
      assert.equal(await c.line(), '250 2.0.0 3000 bytes received');
      c.write(`BDAT 3000\r\n${'b'.repeat(3000)}`);
      assert.equal(await c.line(), '552 5.3.4 Message size exceeds fixed maximum message size');
      // The transaction is over: a further chunk needs a new MAIL.
      c.write(`BDAT 10 LAST\r\n${'c'.repeat(10)}`);
      assert.equal(await c.line(), '503 5.5.2 Need mail command');
      assert.equal(await c.command('NOOP'), '250 2.0.0 OK');
      // A single chunk announced over the limit is refused without being kept.
      await c.command('MAIL FROM:<a@corp.example>');
      await c.command('RCPT TO:<u@corp.example>');
      c.write(`BDAT 9000 LAST\r\n${'d'.repeat(9000)}`);
      assert.equal(await c.line(), '552 5.3.4 Message size exceeds fixed maximum message size');
      assert.equal(await c.command('NOOP'), '250 2.0.0 OK');
      c.end();
    } finally { await s.stop(); }
  });
});

describe('capture JSON carries TLS, AUTH, local endpoint and MAIL parameters', () => {
  it('a submission over STARTTLS with AUTH LOGIN and SIZE/BODY', async () => {
    const s = await start(conflict, { users: USERS, clientIp: '198.51.100.9', xclient: false, localAddress: '10.0.0.11' });
    try {
      const c = await RawClient.connect(s.portOf(587));
      await c.line();
      await c.command('EHLO laptop');
      await c.command('STARTTLS');
      await c.startTls();
      await c.command('EHLO laptop');
      await c.command('AUTH LOGIN');
      await c.command(Buffer.from('CORP\\svc-app').toString('base64'));
      assert.equal(await c.command(Buffer.from('secret').toString('base64')), '235 2.7.0 Authentication successful');
      assert.equal(await c.command('MAIL FROM:<app@corp.example> SIZE=40 BODY=8BITMIME'), '250 2.1.0 Sender OK');
      await c.command('RCPT TO:<user@corp.example>');
      await c.command('DATA');
      const queued = await c.command('Subject: fields\r\n\r\nbody\r\n.');
      const id = /InternalId=(\d+)/.exec(queued)?.[1] ?? '';
      const envelope = JSON.parse(await readFile(join(s.dir, 'capture', `${id}.json`), 'utf8')) as Record<string, unknown>;
      assert.equal(envelope.tlsProtocol, 'TLSv1.2');
      assert.match(String(envelope.tlsCipher), /^TLS_/);
      assert.equal(envelope.authMechanism, 'LOGIN');
      assert.equal(envelope.localEndpoint, '10.0.0.11:587');
      assert.deepEqual(envelope.mailParameters, { SIZE: '40', BODY: '8BITMIME' });
      c.end();
    } finally { await s.stop(); }
  });
});

describe('TLS as Windows negotiates it; NTLM/GSSAPI announced at start', () => {
  it('TLS 1.2 at most by default, server cipher preference; --tls-max 1.3 allows 1.3', async () => {
    for (const [tlsMax, expected] of [[undefined, 'TLSv1.2'], ['TLSv1.3', 'TLSv1.3']] as const) {
      const s = await start(conflict, { users: USERS, clientIp: '198.51.100.9', xclient: false, ...(tlsMax === undefined ? {} : { tlsMax }) });
      try {
        const c = await RawClient.connect(s.portOf(587));
        await c.line();
        await c.command('EHLO laptop');
        await c.command('STARTTLS');
        const secure = await c.startTls();
        assert.equal(secure.getProtocol(), expected);
        c.end();
      } finally { await s.stop(); }
    }
  });

  it('the sandbox warns that NTLM/GSSAPI will be answered 454 4.7.0, and answers so', async () => {
    const s = await start(conflict, { users: USERS, clientIp: '198.51.100.9', xclient: false });
    try {
      assert.ok(s.sandbox.warnings.some((w) => w.includes('"EX01\\Client Frontend EX01"') && w.includes('454 4.7.0')), s.sandbox.warnings.join('\n'));
      const c = await RawClient.connect(s.portOf(587));
      await c.line();
      const ehlo = await c.command('EHLO laptop');
      assert.match(ehlo, /250-AUTH NTLM\r\n/);
      assert.equal(await c.command('AUTH NTLM'), '454 4.7.0 Temporary authentication failure');
      c.end();
    } finally { await s.stop(); }
  });
});

describe('a Message-ID is added when the client sent none (as Exchange does)', () => {
  let estate: Snapshot;
  before(async () => { estate = await loadFixture('estate-2019.snapshot.json'); });

  it('over DATA and BDAT; a message with its own Message-ID keeps it alone', async () => {
    const s = await start(estate, { clientIp: '192.0.2.5', xclient: false });
    try {
      const c = await RawClient.connect(s.portOf(25));
      await c.line();
      await c.command('EHLO app');
      const emlOf = async (reply: string): Promise<{ id: string; eml: string }> => {
        const m = /^250 2\.6\.0 (<[^>]+>) \[InternalId=(\d+),/.exec(reply);
        assert.ok(m !== null, reply);
        return { id: m[1] ?? '', eml: await readFile(join(s.dir, 'capture', `${m[2] ?? ''}.eml`), 'latin1') };
      };
      await c.command('MAIL FROM:<app@corp.example>');
      await c.command('RCPT TO:<x@external.example>');
      await c.command('DATA');
      const plain = await emlOf(await c.command('Subject: no id\r\n\r\nbody\r\n.'));
      assert.match(plain.id, /^<\d+@ex01\.corp\.example>$/);
      assert.equal(plain.eml.match(/^Message-ID: /gim)?.length, 1);
      assert.ok(plain.eml.includes(`\r\nMessage-ID: ${plain.id}\r\nSubject: no id\r\n\r\nbody\r\n`), plain.eml);

      await c.command('MAIL FROM:<app@corp.example>');
      await c.command('RCPT TO:<x@external.example>');
      const message = 'Subject: chunked\r\n\r\nbody\r\n';
      c.write(`BDAT ${message.length} LAST\r\n${message}`);
      const chunked = await emlOf(await c.line());
      assert.ok(chunked.eml.includes(`\r\nMessage-ID: ${chunked.id}\r\nSubject: chunked\r\n`), chunked.eml);

      await c.command('MAIL FROM:<app@corp.example>');
      await c.command('RCPT TO:<x@external.example>');
      await c.command('DATA');
      const own = await emlOf(await c.command('Message-ID: <own@app>\r\nSubject: own\r\n\r\nbody\r\n.'));
      assert.equal(own.id, '<own@app>');
      assert.equal(own.eml.match(/^Message-ID: /gim)?.length, 1);
      c.end();
    } finally { await s.stop(); }
  });
});

describe('the generated certificate looks like the imported one the connector names', () => {
  function withNamedCertificate(): Snapshot {
    const snap = JSON.parse(JSON.stringify(conflict)) as Snapshot;
    const cf = snap.connectors.find((c) => c.name.startsWith('Client Frontend'));
    assert.ok(cf);
    cf.tlsCertificateName = '<I>CN=Contoso Issuing CA, DC=contoso, DC=com<S>CN=mail.contoso.com, O="Contoso Ltd", C=US';
    snap.certificates.push({
      thumbprint: 'AB'.repeat(20), subject: 'CN=mail.contoso.com, O="Contoso Ltd", C=US', issuer: 'CN=Contoso Issuing CA, DC=contoso, DC=com',
      notAfter: '2030-06-30T12:00:00.000Z', dnsNames: ['mail.contoso.com', 'autodiscover.contoso.com'], services: ['SMTP'], server: 'EX01',
    });
    return snap;
  }

  it('subject and DNS names always; the expiry with --tls-like-source', async () => {
    for (const tlsLikeSource of [false, true]) {
      const s = await start(withNamedCertificate(), { users: USERS, clientIp: '198.51.100.9', xclient: false, tlsLikeSource });
      try {
        const c = await RawClient.connect(s.portOf(587));
        await c.line();
        await c.command('EHLO laptop');
        await c.command('STARTTLS');
        const peer = (await c.startTls()).getPeerCertificate();
        assert.equal(peer.subject.CN, 'mail.contoso.com');
        assert.equal(peer.subject.O, 'Contoso Ltd');
        assert.equal(peer.subject.C, 'US');
        assert.equal(peer.subjectaltname, 'DNS:mail.contoso.com, DNS:autodiscover.contoso.com');
        if (tlsLikeSource) assert.equal(new Date(peer.valid_to).toISOString(), '2030-06-30T12:00:00.000Z');
        else assert.notEqual(new Date(peer.valid_to).toISOString(), '2030-06-30T12:00:00.000Z');
        c.end();
        // A connector naming no certificate keeps the one made for its FQDN.
        const d = await RawClient.connect(s.portOf(2525));
        await d.line();
        await d.command('EHLO mx');
        await d.command('STARTTLS');
        assert.equal((await d.startTls()).getPeerCertificate().subject.CN, 'ex01.corp.example');
        d.end();
      } finally { await s.stop(); }
    }
  });
});
