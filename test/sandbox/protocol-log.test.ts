import { describe, it, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { csvField, logFileName, LogSession, ProtocolLog, replyRecords } from '../../src/sandbox/protocol-log.js';
import { formatBinding } from '../../src/net/index.js';

const dirs: string[] = [];
after(async () => { for (const d of dirs) await rm(d, { recursive: true, force: true }); });

describe('protocol log format', () => {
  it('quotes only fields with commas or quotes', () => {
    assert.equal(csvField('220 ex01 Microsoft ESMTP MAIL Service ready at Tue, 4 Mar 2025 10:12:03 +0100'), '"220 ex01 Microsoft ESMTP MAIL Service ready at Tue, 4 Mar 2025 10:12:03 +0100"');
    assert.equal(csvField('EX01\\Relay EX01 '), 'EX01\\Relay EX01 ');
    assert.equal(csvField('a"b'), '"a""b"');
  });
  it('names files per UTC day', () => {
    assert.equal(logFileName(new Date('2026-03-04T23:59:59Z')), 'RECV20260304-1.LOG');
  });
  it('writes multi-line replies as one record (2013+) or one per line (2010)', () => {
    assert.deepEqual(replyRecords(250, ['ex01 Hello [192.0.2.1]', 'SIZE 37748736', 'XRDST'], false), ['250  ex01 Hello [192.0.2.1] SIZE 37748736 XRDST']);
    assert.deepEqual(replyRecords(250, ['ex01 Hello [192.0.2.1]', 'SIZE', 'XRDST'], true), ['250-ex01 Hello [192.0.2.1]', '250-SIZE', '250 XRDST']);
    assert.deepEqual(replyRecords(250, ['2.1.0 Sender OK'], false), ['250 2.1.0 Sender OK']);
    assert.equal(formatBinding({ address: '::1', port: 25 }), '[::1]:25'); // the log's endpoint form
  });
  it('writes the header once, then records with per-session sequence numbers', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'exrelay-plog-')); dirs.push(dir);
    const clock = () => new Date('2026-03-04T09:12:03.000Z');
    const log = new ProtocolLog(dir, '15.0.0.0', clock);
    const s = new LogSession(log, 'EX01\\Default Frontend EX01', '10.0.0.10:25', '198.51.100.7:50412');
    s.record('+');
    s.record('*', 'SMTPSubmit SMTPAcceptAnySender', 'Set Session Permissions');
    s.reply(220, ['ex01 Microsoft ESMTP MAIL Service ready at Tue, 4 Mar 2025 10:12:03 +0100']);
    s.record('-', '', 'Local');
    await log.close();
    assert.deepEqual(await readdir(dir), ['RECV20260304-1.LOG']);
    const text = await readFile(join(dir, 'RECV20260304-1.LOG'), 'utf8');
    const lines = text.split('\r\n');
    assert.deepEqual(lines.slice(0, 5), [
      '#Software: Microsoft Exchange Server', '#Version: 15.0.0.0', '#Log-type: SMTP Receive Protocol Log',
      '#Date: 2026-03-04T09:12:03.000Z', '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context',
    ]);
    assert.match(s.id, /^[0-9A-F]{16}$/);
    assert.deepEqual(lines.slice(5, 9), [
      `2026-03-04T09:12:03.000Z,EX01\\Default Frontend EX01,${s.id},0,10.0.0.10:25,198.51.100.7:50412,+,,`,
      `2026-03-04T09:12:03.000Z,EX01\\Default Frontend EX01,${s.id},1,10.0.0.10:25,198.51.100.7:50412,*,SMTPSubmit SMTPAcceptAnySender,Set Session Permissions`,
      `2026-03-04T09:12:03.000Z,EX01\\Default Frontend EX01,${s.id},2,10.0.0.10:25,198.51.100.7:50412,>,"220 ex01 Microsoft ESMTP MAIL Service ready at Tue, 4 Mar 2025 10:12:03 +0100",`,
      `2026-03-04T09:12:03.000Z,EX01\\Default Frontend EX01,${s.id},3,10.0.0.10:25,198.51.100.7:50412,-,,Local`,
    ]);
    // A restart appends a fresh header block (as a restarted transport service does), then its records.
    const again = new ProtocolLog(dir, '15.0.0.0', clock);
    new LogSession(again, '', '0.0.0.0:25', '127.0.0.1:5').record('+');
    await again.close();
    const text2 = await readFile(join(dir, 'RECV20260304-1.LOG'), 'utf8');
    assert.equal(text2.split('#Software').length, 3);
    assert.ok(text2.startsWith(text), 'the first run\'s records are kept');
    assert.match(text2.slice(text.length), /^#Software: Microsoft Exchange Server\r\n(?:#.*\r\n){4}[^#].*,0\.0\.0\.0:25,127\.0\.0\.1:5,\+,,\r\n$/);
  });
});
