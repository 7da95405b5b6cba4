// The one place that knows PowerShell quoting. Every customer value (connector names, banners,
// user names, domain names, certificate names, ranges) reaches an emitted script through here.
//
// Single-quoted (verbatim) strings are the only literal PowerShell never expands: no `$(...)`,
// no backtick escapes, and newlines are kept as they are. Inside one, a single-quote character
// is written twice. PowerShell treats the typographic single quotes U+2018 ‘ U+2019 ’ U+201A ‚
// U+201B ‛ exactly like ' (reference emitters-notes), so they are doubled too; otherwise a name
// such as `O’Brien` would end the literal and the rest would run as code. The double-quote
// family (" “ ” „) is inert inside single quotes and needs nothing.
import { InternalError } from '../errors.js';

/** Characters PowerShell reads as a single quote. */
export const SINGLE_QUOTE_CHARS: readonly string[] = ["'", '\u2018', '\u2019', '\u201A', '\u201B'];
const SINGLE_QUOTES = /['\u2018\u2019\u201A\u201B]/g;

/** Why a value cannot be written as a PowerShell literal, or null when it can. */
export function unquotableReason(value: string): string | null {
  // A NUL cannot be carried in a .ps1 (Windows PowerShell stops reading the token there).
  if (value.includes('\u0000')) return 'contains a NUL character';
  return null;
}

/** `value` as one PowerShell single-quoted literal. Throws on NUL (callers validate first). */
export function psQuote(value: string): string {
  const reason = unquotableReason(value);
  if (reason !== null) throw new InternalError(`value ${JSON.stringify(value)} ${reason}; validate before quoting`);
  return `'${value.replace(SINGLE_QUOTES, (q) => q + q)}'`;
}

/** A PowerShell array of single-quoted literals: `@('a','b')` (`@()` when empty). */
export function psQuoteList(values: readonly string[]): string {
  return `@(${values.map(psQuote).join(',')})`;
}

/**
 * Text safe inside a `#` line comment: control characters (newlines above all, which would end
 * the comment and let the rest run as code) are shown as escapes, never written raw.
 */
export function psComment(value: string): string {
  let out = '';
  for (const c of value) {
    const code = c.codePointAt(0) ?? 0;
    const control = code < 0x20 || code === 0x7f || code === 0x85 || code === 0x2028 || code === 0x2029;
    out += control ? `\\u${code.toString(16).padStart(4, '0')}` : c;
  }
  return out;
}

/**
 * The value of a single-quoted literal as PowerShell reads it (the inverse of psQuote): outer
 * quotes removed and each pair of single-quote characters read as one (PowerShell keeps the
 * second of the pair).
 */
export function psUnquoteVerbatim(literal: string): string {
  const first = literal[0];
  if (literal.length < 2 || first === undefined || !SINGLE_QUOTE_CHARS.includes(first)) {
    throw new InternalError(`not a single-quoted literal: ${literal}`);
  }
  return literal.slice(1, -1).replace(/['\u2018\u2019\u201A\u201B](['\u2018\u2019\u201A\u201B])/g, '$1');
}
