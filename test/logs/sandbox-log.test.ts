// The sandbox writes Exchange's protocol-log format (src/sandbox/protocol-log.ts): `logs` reads
// it like a real server's, including the sandbox's XCLIENT address change and its logons.
import { after, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LogSession, ProtocolLog } from '../../src/sandbox/protocol-log.js';
import { readDoc } from './helpers.js';

const dirs: string[] = [];
after(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

describe('logs reads the sandbox protocol log', () => {
  for (const version of ['14.0.0.0', '15.0.0.0']) {
    it(`version ${version}: XCLIENT re-selection, STARTTLS, AUTH and DATA`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'exrelay-logs-sandbox-'));
      dirs.push(dir);
      let t = Date.parse('2026-11-02T09:00:00.000Z');
      const log = new ProtocolLog(dir, version, () => new Date(t += 10));
      // A test client at 127.0.0.1 speaking for the scanner 10.1.2.3 through XCLIENT.
      const a = new LogSession(log, 'EX01\\Default Frontend EX01', '127.0.0.1:2325', '127.0.0.1:50001');
      // A client that logs on over TLS on the submission port.
      const b = new LogSession(log, 'EX01\\Client Frontend EX01', '127.0.0.1:2887', '127.0.0.1:50002');
      a.record('+'); b.record('+');
      a.reply(220, ['ex01 Microsoft ESMTP MAIL Service ready at Mon, 2 Nov 2026 09:00:00 +0000']);
      b.reply(220, ['ex01 Microsoft ESMTP MAIL Service ready at Mon, 2 Nov 2026 09:00:00 +0000']);
      a.record('<', 'EHLO tester'); a.reply(250, ['ex01 Hello [127.0.0.1]', 'SIZE 37748736', 'XCLIENT ADDR', 'CHUNKING']);
      a.record('<', 'XCLIENT ADDR=10.1.2.3');
      a.connector = 'EX01\\Relay EX01';
      a.record('*', 'XCLIENT ADDR=10.1.2.3', 'Remote address changed');
      a.reply(220, ['ex01 Microsoft ESMTP MAIL Service ready']);
      b.record('<', 'EHLO crm01'); b.reply(250, ['ex01 Hello [127.0.0.1]', 'STARTTLS', 'AUTH LOGIN']);
      b.record('<', 'STARTTLS'); b.reply(220, ['2.0.0 SMTP server ready']);
      b.record('*', '', 'TLS protocol TLSv1.3 negotiation succeeded using TLS_AES_256_GCM_SHA384');
      b.record('<', 'EHLO crm01'); b.reply(250, ['ex01 Hello [127.0.0.1]', 'AUTH LOGIN']);
      a.record('<', 'EHLO scanner01'); a.reply(250, ['ex01 Hello [10.1.2.3]', 'SIZE 37748736']);
      b.record('<', 'AUTH LOGIN'); b.record('>', '334 <authentication response>'); b.record('>', '334 <authentication response>');
      b.record('*', 'SMTPSubmit SMTPAcceptAnyRecipient', 'Set Session Permissions'); b.record('*', 'CORP\\svc-crm', 'authenticated');
      b.reply(235, ['2.7.0 Authentication successful']);
      for (const s of [a, b]) {
        s.record('<', s === a ? 'MAIL FROM:<scanner@corp.example>' : 'MAIL FROM:<crm@corp.example>'); s.reply(250, ['2.1.0 Sender OK']);
        s.record('<', 'RCPT TO:<partner@external.example>'); s.reply(250, ['2.1.5 Recipient OK']);
        s.record('<', 'DATA'); s.reply(354, ['Start mail input; end with <CRLF>.<CRLF>']);
        s.reply(250, ['2.6.0 <1@ex01> [InternalId=1, Hostname=ex01] Queued mail for delivery']);
        s.record('<', 'QUIT'); s.reply(221, ['2.0.0 Service closing transmission channel']); s.record('-', '', 'Local');
      }
      await log.close();

      const { doc } = await readDoc([dir]);
      assert.equal(doc.sessions, 2);
      assert.equal(doc.messages, 2);
      assert.deepEqual(doc.senders.map((s) => [s.connector, s.remoteIp, s.messages, s.tls, s.authenticatedAs]), [
        ['EX01\\Client Frontend EX01', '127.0.0.1', 1, true, ['CORP\\svc-crm']],
        ['EX01\\Relay EX01', '10.1.2.3', 1, false, []],
      ]);
      assert.deepEqual(doc.senders[1]?.rcptDomains, { 'external.example': 1 });
    });
  }
});
