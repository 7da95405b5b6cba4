// A few dozen made-up protocol log lines read once per thread, into readers that are then
// dropped, before the first real piece. Why: V8 compiles the scanner's and the aggregate's hot
// functions from the type feedback of the records seen so far, and a branch that had not run
// yet by then (the first hard-wrapped record, a quoted excerpt, a session id past 2^30, an id
// shared by two sessions, the first reader's completion callback replaced by the next one's)
// throws the compiled code away when it first runs, to be compiled again: `record` was compiled
// 13 times in three reads of rolled 400 MB with two threads, where one per thread is needed
// (--trace-opt), each compile 70-190 ms of a core.
// These lines run every such branch first, so that the code is compiled for them the first
// time. Nothing read here reaches a result: the reader, its table and aggregate are dropped.
import type { Reader } from './reader.js';
import { LogScanner } from './scan.js';

const C = 'EX01\\Default EX01';
const L = '10.0.0.1:25';
const R = '192.0.2.1:40001';
const T = '2026-01-01T00:00:00.000Z';

/** One record of the default field order. */
const rec = (id: string, seq: number | string, event: string, data = '', context = '', remote = R, connector = C): string =>
  `${T},${connector},${id},${seq},${L},${remote},${event},${data},${context}`;

export function warmUpText(): string {
  // Ids whose halves are past 2^30 (not small integers to V8), a non-hex id, and the all-zero id
  // of Exchange 2010 shared by two sessions.
  const a = 'C8DE10A0F0000001', b = 'D8DE10A0F0000002', open = 'E8DE10A0F0000003', lost = 'F8DE10A0F0000004', odd = 'not-a-hex-id-16c', zero = '0000000000000000';
  let s = 0;
  const lines = [
    '#Software: Microsoft Exchange Server',
    '#Fields: date-time,connector-id,session-id,sequence-number,local-endpoint,remote-endpoint,event,data,context',
    rec(a, s++, '+'),
    rec(a, s++, '*', 'SMTPSubmit SMTPAcceptAnySender', 'Set Session Permissions'),
    rec(a, s++, '>', '"220 ex01.example Microsoft ESMTP MAIL Service ready at Mon, 30 Nov 2026 10:00:00 +0000"'),
    rec(a, s++, '<', 'EHLO client.example'),
    rec(a, s++, '>', '250-ex01.example Hello [192.0.2.1]'),
    rec(a, s++, '>', '250 XSHADOW'),
    rec(a, s++, '<', 'STARTTLS'),
    rec(a, s++, '>', '220 2.0.0 SMTP server ready'),
    rec(a, s++, '*', '', 'Sending certificate'),
    rec(a, s++, '*', ' CN=ex01.example', 'TLS negotiation succeeded'),
    rec(a, s++, '<', 'AUTH LOGIN'),
    rec(a, s++, '>', '334 <authentication response>'),
    rec(a, s++, '*', 'SMTPSubmit', 'Set Session Permissions'),
    rec(a, s++, '*', 'CORP\\svc', 'authenticated'),
    rec(a, s++, '*', 'User Name: CORP\\svc', ''),
    rec(a, s++, '>', '235 2.7.0 Authentication successful'),
    rec(a, s++, '<', 'MAIL FROM:<app@corp.example> SIZE=100'),
    rec(a, s++, '*', '08DE10A0F0000001;2026-01-01T00:00:00.000Z;1', 'receiving message'),
    rec(a, s++, '>', '250 2.1.0 Sender OK'),
    rec(a, s++, '<', 'RCPT TO:<user@corp.example>'),
    rec(a, s++, '>', '250 2.1.5 Recipient OK'),
    rec(a, s++, '<', 'RCPT TO:<gone@corp.example>'),
    rec(a, s++, '>', '550 5.1.10 RESOLVER.ADR.RecipientNotFound'),
    rec(a, s++, '<', 'DATA'),
    rec(a, s++, '>', '354 Start mail input; end with <CRLF>.<CRLF>'),
    rec(a, s++, '>', '250 2.6.0 <x@corp.example> [InternalId=1] Queued mail for delivery'),
    rec(a, s++, '<', 'RSET'),
    rec(a, s++, '>', '250 2.0.0 Resetting'),
    rec(a, s++, '<', 'MAIL FROM:<>'),
    rec(a, s++, '>', '250 2.1.0 Sender OK'),
    rec(a, s++, '<', 'RCPT TO:<user@corp.example>'),
    rec(a, s++, '>', '250 2.1.5 Recipient OK'),
    rec(a, s++, '<', 'BDAT 100 LAST'),
    rec(a, s++, '>', '250 2.6.0 Queued mail for delivery'),
    rec(a, s++, '<', 'QUIT'),
    rec(a, s++, '>', '221 2.0.0 Service closing transmission channel'),
    rec(a, s++, '-', '', 'Local'),
    '',
    'Some prose pasted between the records.',
    // A session with a non-hex id, then one whose id is looked up while it is open.
    rec(odd, 0, '+', '', '', '198.51.100.7:40002', 'EX01\\Relay EX01   '),
    rec(b, 0, '+', '', '', '198.51.100.8:40003', ''),
    rec(b, 1, '<', 'EHLO relay.example', '', '198.51.100.8:40003', 'EX01\\Relay EX01'),
    rec(b, 2, '<', 'X-ANONYMOUSTLS', '', '198.51.100.8:40003'),
    rec(b, 3, '<', 'X-EXPS GSSAPI', '', '198.51.100.8:40003'),
    rec(b, 4, '<', 'AUTH', '', '198.51.100.8:40003'),
    rec(b, 5, '*', 'XCLIENT ADDR=203.0.113.9', '', '198.51.100.8:40003'),
    rec(b, 6, '', '250 2.0.0 OK', '', '198.51.100.8:40003'),
    rec(b, 7, ' <', '"HELO ""quoted"" name"', '', '198.51.100.8:40003'),
    // A record hard-wrapped onto an indented line, one cut short before the next record, a
    // quoted excerpt, a record with too few fields and one without a readable date or number.
    `${T},${C},${b},8,${L},`,
    '    198.51.100.8:40003,<,MAIL FROM:<relay@corp.example>,',
    `${T},${C},${b},9,${L},198.51.100.8:40003,<`,
    rec(b, 10, '>', '250 2.1.0 Sender OK', '', '198.51.100.8:40003'),
    `"${rec(b, 11, '<', 'RCPT TO:<x@corp.example>', '', '198.51.100.8:40003')}"`,
    `${T},${C}`,
    rec(b, 'x', '>', '250 2.1.5 Recipient OK', '', '198.51.100.8:40003').replace(T, '2026-13-45T99:99:99.999Z'),
    T,
    rec(b, 12, '-', '', '', '198.51.100.8:40003'),
    rec(zero, 0, '+', '', '', '203.0.113.1:40004'),
    rec(zero, 0, '+', '', '', '203.0.113.2:40005'),
    rec(zero, 1, '-', '', '', '203.0.113.1:40004'),
    rec(zero, 1, '-', '', '', '203.0.113.2:40005'),
    rec(odd, 1, '-', '', '', '198.51.100.7:40002'),
    // Logged in without an `authenticated` record; a recipient whose MAIL FROM the excerpt lost.
    rec(lost, 0, '+', '', '', '198.51.100.10:40007'),
    rec(lost, 1, '<', 'EHLO lost.example', '', '198.51.100.10:40007'),
    rec(lost, 2, '>', '250 ex01.example Hello', '', '198.51.100.10:40007'),
    rec(lost, 3, '<', 'AUTH NTLM', '', '198.51.100.10:40007'),
    rec(lost, 4, '>', '235 2.7.0 Authentication successful', '', '198.51.100.10:40007'),
    rec(lost, 5, '<', 'RCPT TO:<user@corp.example>', '', '198.51.100.10:40007'),
    rec(lost, 6, '>', '250 2.1.5 Recipient OK', '', '198.51.100.10:40007'),
    rec(lost, 7, '<', 'DATA', '', '198.51.100.10:40007'),
    rec(lost, 8, '>', '354 Start mail input', '', '198.51.100.10:40007'),
    rec(lost, 9, '>', '250 2.6.0 Queued mail for delivery', '', '198.51.100.10:40007'),
    rec(lost, 10, '-', '', '', '198.51.100.10:40007'),
    // Left open: the second reading continues it from another scanner.
    rec(open, 0, '+', '', '', '198.51.100.9:40006'),
    rec(open, 1, '<', 'EHLO open.example', '', '198.51.100.9:40006'),
  ];
  return `${lines.join('\r\n')}\r\n`;
}

let warmed = false;

/** Reads the made-up lines into readers from `createReader`, dropped afterwards; once per thread. */
export function warmUp(createReader: () => Reader): void {
  if (warmed) return;
  warmed = true;
  const buf = Buffer.from(warmUpText(), 'latin1');
  // Twice into one reader, the second from a new scanner (what a second piece of work runs),
  // then into a second reader: its completion callback is another closure, as the real one's is.
  const first = createReader();
  for (const reader of [first, first, createReader()]) {
    const scanner = new LogScanner(reader.table, 'warm-up', 1);
    scanner.scan(buf, 0, buf.length, true);
    scanner.finish();
  }
}
