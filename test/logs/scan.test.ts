// The scanner and the session replay on hand-written records: each case states its answer.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync } from 'node:zlib';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { logConfigFrom } from '../../src/logs/config.js';
import { emptySnapshot } from '../../src/model.js';
import { readDoc, readText } from './helpers.js';

const HEADER = '#Software: Microsoft Exchange Server\n#Version: 15.0.0.0\n#Log-type: SMTP Receive Protocol Log\n#Date: 2026-11-02T08:00:00.000Z\n#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\n';
const rec = (seq: number, event: string, data = '', context = '', sid = '08DE000000000001', remote = '10.1.2.3:50000'): string =>
  `2026-11-02T08:00:${String(seq).padStart(2, '0')}.100Z,EX01\\Relay EX01,${sid},${seq},10.0.0.11:25,${remote},${event},${data},${context}\n`;

function session(lines: Array<[string, string?, string?]>, sid?: string, remote?: string): string {
  return lines.map(([e, d, c], i) => rec(i, e, d, c, sid, remote)).join('');
}

const authenticatedRelay: Array<[string, string?, string?]> = [
  ['+'], ['>', '"220 EX01.corp.example Microsoft ESMTP MAIL Service ready at Mon, 2 Nov 2026 08:00:00 +0000"'], ['<', 'EHLO app01'],
  ['>', '250  EX01.corp.example Hello [10.1.2.3] SIZE PIPELINING STARTTLS AUTH LOGIN'],
  ['<', 'STARTTLS'], ['>', '220 2.0.0 SMTP server ready'], ['<', 'EHLO app01'], ['>', '250  EX01.corp.example Hello'],
  ['<', 'AUTH LOGIN'], ['>', '334 <authentication response>'], ['>', '334 <authentication response>'],
  ['*', 'CORP\\svc-app', 'authenticated'], ['>', '235 2.7.0 Authentication successful'],
  ['<', 'MAIL FROM:<App@Corp.Example> SIZE=100'], ['<', 'RCPT TO:<a@corp.example>'], ['<', 'RCPT TO:<b@outside.example>'], ['<', 'RCPT TO:<c@nowhere.example>'],
  ['>', '250 2.1.0 Sender OK'], ['>', '250 2.1.5 Recipient OK'], ['>', '250 2.1.5 Recipient OK'], ['>', '452 4.5.3 Too many recipients'],
  ['<', 'BDAT 100 LAST'], ['>', '"250 2.6.0 <x@EX01> [InternalId=1, Hostname=EX01] Queued Mail for Delivery"'],
  ['<', 'QUIT'], ['>', '221 2.0.0 Service closing transmission channel'], ['-', '', 'Local'],
];

describe('protocol log scanner', () => {
  // UNSURE(reference): §10 shows no successful logon; Exchange logs `*,<account>,authenticated`.
  it('UNSURE(reference): a successful AUTH is read from the "authenticated" record; TLS, pipelined RCPTs and BDAT LAST', async () => {
    const { doc } = await readText(HEADER + session(authenticatedRelay));
    assert.equal(doc.sessions, 1);
    assert.equal(doc.messages, 1);
    const s = doc.senders[0];
    assert.deepEqual(s?.authenticatedAs, ['CORP\\svc-app']);
    assert.equal(s?.tls, true);
    assert.deepEqual(s?.mailFromDomains, { 'corp.example': 1 });
    assert.deepEqual(s?.rcptDomains, { 'corp.example': 1, 'outside.example': 1 });
    assert.equal(s?.rejectedRecipients, 1);
    assert.equal(s?.externalRecipients, null);
  });

  it('with a configuration, accepted recipients outside the accepted domains count as external', async () => {
    const snap = emptySnapshot();
    snap.acceptedDomains.push({ domainName: 'corp.example', domainType: 'Authoritative', default: true });
    const { doc } = await readText(HEADER + session(authenticatedRelay), logConfigFrom(snap));
    assert.equal(doc.senders[0]?.externalRecipients, 1);
    assert.deepEqual(doc.unusedRanges, []);
  });

  it('a 250 to DATA counts the message; a rejected DATA does not; RSET ends the transaction', async () => {
    const text = HEADER + session([['+'], ['<', 'HELO printer'], ['>', '250 EX01 Hello'],
      ['<', 'MAIL FROM:<>'], ['>', '250 2.1.0 Sender OK'], ['<', 'RCPT TO:<x@corp.example>'], ['>', '250 2.1.5 Recipient OK'],
      ['<', 'DATA'], ['>', '354 Start mail input'], ['>', '554 5.6.0 Invalid message content'],
      ['<', 'RSET'], ['>', '250 2.0.0 Resetting'],
      ['<', 'MAIL FROM:<p@corp.example>'], ['>', '250 2.1.0 Sender OK'], ['<', 'RCPT TO:<y@corp.example>'], ['>', '250 2.1.5 Recipient OK'],
      ['<', 'DATA'], ['>', '354 Start mail input'], ['>', '"250 2.6.0 <id> [InternalId=2, Hostname=EX01] Queued Mail for Delivery"'],
      ['-', '', 'Remote']]);
    const { doc } = await readText(text);
    assert.equal(doc.messages, 1);
    assert.deepEqual(doc.senders[0]?.mailFromDomains, { '<>': 1, 'corp.example': 1 });
    assert.equal(doc.senders[0]?.tls, false);
  });

  it('interleaved sessions, a reordered #Fields line, CRLF ends and trailing spaces', async () => {
    const fields = '#Fields: session-id,date-time,connector-id,sequence-number,local-endpoint,remote-endpoint,event,data,context\r\n';
    const a = session([['+'], ['<', 'EHLO a'], ['>', '250 ok'], ['-', '', 'Local']], '08DE00000000000A', '10.0.0.1:1000').split('\n').filter(Boolean);
    const b = session([['+'], ['<', 'EHLO b'], ['>', '250 ok'], ['-', '', 'Local']], '08DE00000000000B', '10.0.0.2:1000').split('\n').filter(Boolean);
    const reorder = (l: string): string => { const f = l.split(','); return [f[2], f[0], f[1], ...f.slice(3)].join(','); };
    const lines = a.flatMap((l, i) => [reorder(l), reorder(b[i] as string)]).map((l) => `${l}   \r\n`);
    const { doc, result } = await readText(fields + lines.join(''));
    assert.equal(doc.sessions, 2);
    assert.equal(result.records, 8);
    assert.deepEqual(doc.senders.map((s) => s.remoteIp), ['10.0.0.1', '10.0.0.2']);
  });

  it('a session split across files read in any order, plain and gzip', async () => {
    const all = session(authenticatedRelay);
    const lines = all.split('\n').filter(Boolean);
    const dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-split-'));
    try {
      writeFileSync(join(dir, 'b.log'), `${HEADER}${lines.slice(0, 12).join('\n')}\n`);
      writeFileSync(join(dir, 'a.log.gz'), gzipSync(`${HEADER}${lines.slice(12).join('\n')}\n`));
      const { doc } = await readDoc([dir]);
      assert.equal(doc.files, 2);
      assert.equal(doc.sessions, 1);
      assert.equal(doc.messages, 1);
      assert.deepEqual(doc.senders[0]?.authenticatedAs, ['CORP\\svc-app']);
      assert.equal(doc.lines, lines.length + 10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a damaged gzip file is bad input naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-gz-'));
    try {
      const good = gzipSync(HEADER + session(authenticatedRelay));
      writeFileSync(join(dir, 'cut.log.gz'), good.subarray(0, good.length - 30));
      await assert.rejects(readDoc([join(dir, 'cut.log.gz')]), (e: Error & { file?: string }) => e.name === 'InputError' && /cut\.log\.gz$/.test(e.file ?? ''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a damaged gzip file read by a worker thread is still bad input naming the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-gzw-'));
    try {
      const good = gzipSync(HEADER + session(authenticatedRelay));
      writeFileSync(join(dir, 'a.log'), HEADER + session(authenticatedRelay, '08DE0000000000AA'));
      writeFileSync(join(dir, 'b.log.gz'), good.subarray(0, good.length - 30));
      const { readLogs } = await import('../../src/logs/reader.js');
      await assert.rejects(readLogs([dir], { workers: 2 }), (e: Error & { file?: string }) => e.name === 'InputError' && /b\.log\.gz$/.test(e.file ?? ''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a worker thread that fails while this thread still reads its own half is bad input, not a crash', async () => {
    // This thread reads the first file (gzip: it waits on the stream, so the worker's failure
    // arrives in the meantime); the worker fails at once on the damaged second one.
    const dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-gzr-'));
    try {
      const body = session(authenticatedRelay).repeat(20000);
      writeFileSync(join(dir, 'a.log.gz'), gzipSync(HEADER + body, { level: 1 }));
      const good = gzipSync(HEADER + session(authenticatedRelay));
      writeFileSync(join(dir, 'b.log.gz'), good.subarray(0, 40));
      const { readLogs } = await import('../../src/logs/reader.js');
      await assert.rejects(readLogs([dir], { workers: 2 }), (e: Error & { file?: string }) => e.name === 'InputError' && /b\.log\.gz$/.test(e.file ?? ''));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a named file that is not a receive log is bad input; a send log says so', async () => {
    await assert.rejects(readText('Name : Default EX01\n'), /not an SMTP receive protocol log/);
    await assert.rejects(readText('#Software: Microsoft Exchange Server\n#Log-type: SMTP Send Protocol Log\n'), /send protocol log/);
  });
});

describe('session table', () => {
  it('sessions with a gap in their sequence numbers are finished once idle, so the table stays small', async () => {
    const { LogScanner, SessionTable } = await import('../../src/logs/scan.js');
    const { summarizeSession } = await import('../../src/logs/session.js');
    let messages = 0;
    let finished = 0;
    const table = new SessionTable((p) => { finished++; messages += summarizeSession(p).messages; }, 64);
    const scanner = new LogScanner(table, 'gaps.log');
    let maxOpen = 0;
    for (let i = 0; i < 200; i++) {
      const sid = `08DE${String(i).padStart(12, '0')}`;
      // Record 1 (Set Session Permissions) is missing: the session never looks complete.
      const lines = session([['+'], ['*', 'SMTPSubmit', 'Set Session Permissions'], ['<', 'HELO app'], ['>', '250 ok'],
        ['<', 'MAIL FROM:<a@corp.example>'], ['>', '250 2.1.0 Sender OK'], ['<', 'RCPT TO:<b@corp.example>'], ['>', '250 2.1.5 Recipient OK'],
        ['<', 'DATA'], ['>', '354 go ahead'], ['>', '250 2.6.0 queued'], ['-', '', 'Local']], sid).split('\n').filter((l, n) => l !== '' && n !== 1);
      const buf = Buffer.from(`${lines.join('\n')}\n`);
      scanner.scan(buf, 0, buf.length, false);
      maxOpen = Math.max(maxOpen, table.byId.size + table.byKey.size);
    }
    scanner.finish();
    const left = table.drain();
    assert.ok(maxOpen < 20, `at most ${maxOpen} sessions open`);
    assert.equal(finished + left.length, 200);
    for (const p of left) messages += summarizeSession(p).messages;
    assert.equal(messages, 200);
  });
});

describe('endpoints', () => {
  it('UNSURE(reference): IPv6 endpoints with or without brackets', async () => {
    const { splitEndpoint } = await import('../../src/logs/session.js');
    assert.deepEqual(splitEndpoint('10.0.0.6:25'), { ip: '10.0.0.6', port: 25 });
    assert.deepEqual(splitEndpoint('[2001:db8::7]:50412'), { ip: '2001:db8::7', port: 50412 });
    assert.deepEqual(splitEndpoint('2001:db8::7:25'), { ip: '2001:db8::7', port: 25 });
    assert.deepEqual(splitEndpoint('x.x.x.x:25'), { ip: 'x.x.x.x', port: 25 });
    // `fe80:` is no address, so `::1` is not a port: the whole text is the address.
    assert.deepEqual(splitEndpoint('fe80::1'), { ip: 'fe80::1', port: null });
  });
});
