// The MAIL FROM / RCPT TO command line as Exchange reads it (reference §6.4 MAIL 2, RCPT 1).
// smtp-server's own parser wants `<address>` and splits on every space, so it refuses what
// Exchange accepts: a bare address (`MAIL FROM: printer@contoso.com`, Microsoft's own telnet
// test and many printers) and a quoted local part holding a space (`<"john doe"@contoso.com>`).

export interface ParsedAddressCommand {
  address: string;
  /** ESMTP parameters by upper-case keyword; `true` for a keyword without a value. */
  args: Record<string, string | true> | false;
  /** A keyword given twice (smtp-server refuses the command). */
  duplicate: string | null;
}

// Characters that never belong in an address (controls, zero-width and BOM characters that
// would disguise it in logs); smtp-server refuses the same set.
// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u200b\u2060\ufeff]/;
const LOCAL_PART = /^(?:"(?:[^"\\]|\\.)*"|[^\s"<>@()[\]\\,;:]+)$/;
const DOMAIN = /^(?:\[(?:IPv6:[0-9a-f:.]+|\d{1,3}(?:\.\d{1,3}){3})\]|[a-z0-9\u0080-\uffff](?:[a-z0-9\u0080-\uffff-]*[a-z0-9\u0080-\uffff])?(?:\.[a-z0-9\u0080-\uffff](?:[a-z0-9\u0080-\uffff-]*[a-z0-9\u0080-\uffff])?)*)$/i;

/** Index just past the end of a quoted string that starts at `from` (a `"`), or -1. */
function endOfQuoted(text: string, from: number): number {
  for (let i = from + 1; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\') { i++; continue; }
    if (ch === '"') return i + 1;
  }
  return -1;
}

/** Splits an address into local part and domain at the last `@` outside quotes. */
function splitAddress(address: string): { local: string; domain: string } | null {
  let at = -1;
  for (let i = 0; i < address.length; i++) {
    const ch = address[i];
    if (ch === '"') { const end = endOfQuoted(address, i); if (end < 0) return null; i = end - 1; continue; }
    if (ch === '@') at = i;
  }
  return at <= 0 ? null : { local: address.slice(0, at), domain: address.slice(at + 1) };
}

/** Exchange-valid mailbox: a dot-atom or quoted local part and a domain or address literal. */
export function isMailbox(address: string): boolean {
  const parts = splitAddress(address);
  if (parts === null || parts.domain === '') return false;
  const { local, domain } = parts;
  if (!local.startsWith('"') && (local.startsWith('.') || local.endsWith('.') || local.includes('..'))) return false;
  return LOCAL_PART.test(local) && DOMAIN.test(domain) && address.length <= 256 + 2;
}

/**
 * Parses `MAIL FROM:<a@b> SIZE=10` (or `RCPT TO: a@b`), `name` being `mail from` or `rcpt to`.
 * null: not this command, or an address Exchange would refuse (501 5.1.7 / 5.1.3).
 */
export function parseAddressCommand(name: string, command: string): ParsedAddressCommand | null {
  const colon = command.indexOf(':');
  if (colon < 0) return null;
  if (command.slice(0, colon).trim().replace(/\s+/g, ' ').toUpperCase() !== name.trim().toUpperCase()) return null;
  const rest = command.slice(colon + 1).replace(/^[ \t]+/, '');
  let address: string;
  let end: number;
  if (rest.startsWith('<')) {
    end = -1;
    for (let i = 1; i < rest.length; i++) {
      const ch = rest[i];
      if (ch === '"') { const q = endOfQuoted(rest, i); if (q < 0) return null; i = q - 1; continue; }
      if (ch === '<') return null;
      if (ch === '>') { end = i; break; }
    }
    if (end < 0) return null;
    address = rest.slice(1, end);
    end += 1;
    // RFC 5321 §4.1.2: a source route (`<@relay:user@example>`) is accepted and ignored.
    address = address.replace(/^@[^\s,:@]+(?:,@[^\s,:@]+)*:/, '');
  } else {
    end = 0;
    while (end < rest.length && !/\s/.test(rest[end] ?? '')) {
      if (rest[end] === '"') { const q = endOfQuoted(rest, end); if (q < 0) return null; end = q; continue; }
      if (rest[end] === '<' || rest[end] === '>') return null;
      end++;
    }
    address = rest.slice(0, end);
    // `MAIL FROM:` with nothing after it is a syntax error, not the null sender.
    if (address === '') return null;
  }
  if (UNSAFE.test(address)) return null;
  const tail = rest.slice(end);
  if (tail !== '' && !/^\s/.test(tail)) return null;
  let args: Record<string, string | true> | false = false;
  let duplicate: string | null = null;
  for (const param of tail.trim().split(/\s+/)) {
    if (param === '') continue;
    const eq = param.indexOf('=');
    const key = (eq < 0 ? param : param.slice(0, eq)).toUpperCase();
    if (key === '') continue;
    const value: string | true = eq < 0 ? true : decodeXtext(param.slice(eq + 1));
    if (typeof value === 'string' && UNSAFE.test(value)) return null;
    if (args === false) args = {};
    if (key in args) duplicate = key;
    args[key] = value;
  }
  const postmaster = name.trim().toUpperCase() === 'RCPT TO' && address.toLowerCase() === 'postmaster';
  if (address !== '' && !postmaster && !isMailbox(address)) return null;
  return { address, args, duplicate };
}

/** RFC 3461 xtext (`+2B` for `+`). */
function decodeXtext(value: string): string {
  return value.replace(/\+([0-9A-F]{2})/g, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16)));
}
