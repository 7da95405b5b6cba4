// The seam between smtp-server and Exchange's wording. Decisions come from the policy engine
// (SmtpSession) as `Reply` values; smtp-server writes every line itself through
// SMTPConnection.send(code, text, context), and hard-codes some texts ("250 Accepted" for MAIL
// and RCPT, "354 End data with ...", "Flushed", "Bye", its own error texts). The sandbox's
// connection routes every send() through `ReplySeam.rewrite`, which
//   1. substitutes the Exchange reply the engine produced for the success the library is about
//      to announce (registered with `expect` just before the library writes it), and
//   2. translates the library's own fixed texts into Exchange's (reference §6.3-§6.5).
// Anything else (replies the sandbox built from a Reply) passes through unchanged.
import type { Reply } from '../model.js';

/** What goes on the wire: one code and one or more text lines (without the code prefix). */
export interface WireReply { code: number; lines: string[] }

/** `550 5.7.54 SMTP; Unable to relay...` without the CRLF. */
export function formatReply(reply: Reply): string {
  return `${reply.code} ${replyText(reply)}`;
}

/** The text after the code: Exchange puts the enhanced code first (reference §6). */
export function replyText(reply: Reply): string {
  return reply.enhanced === null ? reply.text : `${reply.enhanced} ${reply.text}`;
}

/** A hook rejection that smtp-server writes as `<responseCode> <message>`. */
export function toSmtpError(reply: Reply): Error & { responseCode: number } {
  return Object.assign(new Error(replyText(reply)), { responseCode: reply.code });
}

/** Lines of a multi-line reply joined the way the wire carries them (`250-a`, `250 b`). */
export function renderWire(reply: WireReply): string {
  return reply.lines.map((line, i) => `${reply.code}${i < reply.lines.length - 1 ? '-' : ' '}${line}`).join('\r\n');
}

/** Success announcements of smtp-server that the engine's reply replaces. */
export type SuccessKey = 'MAIL_FROM_OK' | 'RCPT_TO_OK' | 'DATA_START';

const ex = (code: number, enhanced: string | null, text: string): Reply => ({ code, enhanced, text });

/**
 * smtp-server's own fixed texts, keyed by `${code} ${text}`, and Exchange's reply for the same
 * situation. Exchange texts are from reference §6.3-§6.5; where Exchange has no such situation
 * (XCLIENT is Postfix's verb) the nearest Exchange reply is used and the comment says why.
 */
const LIBRARY_TEXTS = new Map<string, Reply>([
  ['500 Error: command not recognized', ex(500, '5.3.3', 'Unrecognized command')],
  ['421 Error: too many unrecognized commands', ex(421, '4.7.0', 'Too many errors on this connection, closing transmission channel')],
  ['503 Error: send HELO/EHLO first', ex(503, '5.5.2', 'Send hello first')],
  ['501 Error: Bad sender address syntax', ex(501, '5.1.7', 'Invalid address')],
  ['501 Error: Bad recipient address syntax', ex(501, '5.1.3', 'Invalid address')],
  ['503 Error: nested MAIL command', ex(503, '5.5.2', 'Sender already specified')],
  ['503 Error: need MAIL command', ex(503, '5.5.2', 'Need mail command')],
  ['503 Error: need RCPT command', ex(503, '5.5.2', 'Need rcpt command')],
  ['501 Error: Bad message size syntax', ex(501, '5.5.4', 'Invalid arguments')],
  ['250 Flushed', ex(250, '2.0.0', 'Resetting')],
  ['250 OK', ex(250, '2.0.0', 'OK')],
  ['221 Bye', ex(221, '2.0.0', 'Service closing transmission channel')],
  ['252 Try to send something. No promises though', ex(252, '2.1.5', 'Cannot VRFY user')],
  ['501 Error: Syntax: VRFY address', ex(501, '5.5.4', 'Invalid arguments')],
  // Exchange's ConnectionInactivityTimeout reply (the library says 421 and closes; so does the sandbox).
  ['421 Timeout - closing connection', ex(451, '4.7.0', 'Timeout waiting for client input')],
  ['421 Server shutting down', ex(421, '4.3.2', 'Service not available, closing transmission channel')],
  ['451 Error: internal server error', ex(451, '4.7.0', 'Temporary server error. Please try again later')],
  // XCLIENT from a client that may not use it: Exchange has no such verb, so it is unknown.
  ['550 Error: Not allowed', ex(500, '5.3.3', 'Unrecognized command')],
  ['503 Error: Mail transaction in progress', ex(503, '5.5.1', 'Bad sequence of commands')],
]);

const LIBRARY_PATTERNS: Array<[RegExp, Reply]> = [
  // MAIL/RCPT parameter problems found by the library before any hook runs.
  [/^501 (Error: duplicate \S+ parameter|Error: \S+ parameter requires a value|Invalid BODY parameter.*|Invalid SMTPUTF8 parameter.*|Invalid REQUIRETLS parameter.*|Invalid RET parameter.*|Error: NOTIFY.*|Error: Bad ORCPT parameter syntax)$/, ex(501, '5.5.4', 'Invalid arguments')],
  [/^501 Error: Bad command parameter syntax/, ex(501, '5.5.4', 'Invalid arguments')],
  [/^530 REQUIRETLS not permitted on non-TLS connections$/, ex(501, '5.5.4', 'Unrecognized parameter')],
];

/** Exchange's reply for one of smtp-server's fixed texts, or null when the text is not the library's. */
export function translateLibraryText(code: number, text: string): Reply | null {
  const key = `${code} ${text}`;
  const hit = LIBRARY_TEXTS.get(key);
  if (hit !== undefined) return hit;
  for (const [pattern, reply] of LIBRARY_PATTERNS) if (pattern.test(key)) return reply;
  return null;
}

/** Library success contexts (SMTPConnection.send's third argument) that carry an engine reply. */
const CONTEXT_KEYS: Record<string, SuccessKey> = { MAIL_FROM_OK: 'MAIL_FROM_OK', RCPT_TO_OK: 'RCPT_TO_OK' };

export class ReplySeam {
  private readonly pending = new Map<SuccessKey, Reply>();

  /** The next success the library announces under `key` carries `reply` instead of its own text. */
  expect(key: SuccessKey, reply: Reply): void { this.pending.set(key, reply); }

  /** Drop an expectation the library never used (it answered with an error instead). */
  forget(key: SuccessKey): void { this.pending.delete(key); }

  /** What the wire carries for one SMTPConnection.send(code, data, context) call. */
  rewrite(code: number, data: string | readonly string[] | null | undefined, context?: string | false): WireReply {
    const key = successKeyOf(code, context);
    if (key !== null) {
      const engine = this.pending.get(key);
      if (engine !== undefined) {
        this.pending.delete(key);
        return { code: engine.code, lines: [replyText(engine)] };
      }
    }
    if (Array.isArray(data)) return { code, lines: [...(data as readonly string[])] };
    const text = typeof data === 'string' ? data : '';
    const translated = translateLibraryText(code, text);
    if (translated !== null) return { code: translated.code, lines: [replyText(translated)] };
    return { code, lines: [text] };
  }
}

function successKeyOf(code: number, context: string | false | undefined): SuccessKey | null {
  if (typeof context === 'string' && code === 250) return CONTEXT_KEYS[context] ?? null;
  // The library writes DATA's 354 with no context; 354 only ever answers DATA.
  if (code === 354) return 'DATA_START';
  return null;
}
