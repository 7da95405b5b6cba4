// PowerShell's comparison and arithmetic operators on the values a change script holds, with
// PowerShell's semantics: -eq/-like/-match compare case-insensitively unless written -c…; a
// collection on the left filters (the result is the matching elements, truthy when there is
// one); the right operand is converted to the left operand's type. Where the answer depends on
// something the dry run cannot know (how an Exchange object compares, a .NET-only regex
// construct), the operator is "not evaluable" and the statement is reported, never guessed.
import { isHash, isObject, isTruthy, stringify, type PsValue } from './ps-types.js';

/** The operator cannot be evaluated exactly here; the caller reports the statement. */
export class NotEvaluable extends Error {}

/** PowerShell itself fails at run time (e.g. `-` on a collection); the statement errors. */
export class PowerShellFailure extends Error {}

const COMPARISON = /^-(c|i)?(eq|ne|gt|ge|lt|le|like|notlike|match|notmatch|contains|notcontains|in|notin)$/i;

/** `lhs OP rhs` for a comparison operator as written (`-like`, `-CEQ`, `-notcontains`, …). */
export function compareValues(written: string, lhs: PsValue, rhs: PsValue): PsValue {
  const m = COMPARISON.exec(written.trim());
  if (m === null) throw new NotEvaluable(`the operator ${written} is not supported in a dry run`);
  const caseSensitive = (m[1] ?? '').toLowerCase() === 'c';
  const op = (m[2] ?? '').toLowerCase();
  switch (op) {
    case 'contains': return asList(lhs).some((el) => equals(el, rhs, caseSensitive));
    case 'notcontains': return !asList(lhs).some((el) => equals(el, rhs, caseSensitive));
    case 'in': return asList(rhs).some((el) => equals(el, lhs, caseSensitive));
    case 'notin': return !asList(rhs).some((el) => equals(el, lhs, caseSensitive));
    default: break;
  }
  // A collection on the left filters: the elements for which the comparison holds.
  if (Array.isArray(lhs)) return lhs.filter((el) => scalar(op, el, rhs, caseSensitive));
  return scalar(op, lhs, rhs, caseSensitive);
}

function asList(v: PsValue): PsValue[] {
  return Array.isArray(v) ? v : [v];
}

function scalar(op: string, lhs: PsValue, rhs: PsValue, caseSensitive: boolean): boolean {
  if (Array.isArray(lhs)) throw new NotEvaluable('a comparison on a nested collection');
  switch (op) {
    case 'eq': return equals(lhs, rhs, caseSensitive);
    case 'ne': return !equals(lhs, rhs, caseSensitive);
    case 'like': return like(lhs, rhs, caseSensitive);
    case 'notlike': return !like(lhs, rhs, caseSensitive);
    case 'match': return regexMatches(textOf(lhs), textOf(rhs), caseSensitive);
    case 'notmatch': return !regexMatches(textOf(lhs), textOf(rhs), caseSensitive);
    default: return ordered(op, lhs, rhs);
  }
}

function like(lhs: PsValue, rhs: PsValue, caseSensitive: boolean): boolean {
  const pattern = textOf(rhs);
  if (isObject(lhs) && lhs.domainUnknown !== undefined) {
    const known = likeWithUnknownDomain(lhs.domainUnknown.suffix, pattern, caseSensitive);
    if (known === null) throw new NotEvaluable(`${lhs.domainUnknown.why}; "${pattern}" could match inside the domain name`);
    return known;
  }
  return wildcardMatches(textOf(lhs), pattern, caseSensitive);
}

/**
 * -like against `D\Name` where only `\Name` is known (D: a NetBIOS domain, which never holds a
 * backslash). Answers only where every D gives the same result: `*ANONYMOUS LOGON` never matches
 * `D\Exchange Servers`, `*Exchange Servers` always does, `*ANONYMOUS*` depends on D (null).
 */
export function likeWithUnknownDomain(suffix: string, pattern: string, caseSensitive = false): boolean | null {
  const fold = (x: string): string => (caseSensitive ? x : x.toLowerCase());
  const end = fold(suffix);
  const p = fold(pattern);
  const literal = (x: string): boolean => !/[*?[`]/.test(x);
  if (p === '*') return true;
  if (literal(p)) {
    // The whole text: only `D\Name` itself, whose D is unknown.
    return p.endsWith(end) && p.length > end.length && !p.slice(0, -end.length).includes('\\') ? null : false;
  }
  if (p.startsWith('*') && literal(p.slice(1))) {
    const rest = p.slice(1);
    if (end.endsWith(rest)) return true;
    if (rest.endsWith(end)) return rest.slice(0, -end.length).includes('\\') ? false : null;
    return false;
  }
  // `X\…` with X of fixed length and no backslash (letters, [sets]): D must match X, so the rest
  // decides whether any D can match.
  const slash = p.indexOf('\\');
  if (slash > 0 && /^(?:[^*?[`\\]|\[[^\]\\]*\])+$/.test(p.slice(0, slash))) {
    return wildcardMatches(end, p.slice(slash), true) ? null : false;
  }
  if (p.startsWith('*') && p.endsWith('*') && p.length > 2 && literal(p.slice(1, -1))) {
    return end.includes(p.slice(1, -1)) ? true : null;
  }
  return null;
}

/** The text -like and -match see: every value, Exchange objects included, as it prints. */
function textOf(v: PsValue): string {
  if (isHash(v)) throw new NotEvaluable('a hashtable compared as text');
  if (isObject(v) && v.textUnknown !== undefined) throw new NotEvaluable(v.textUnknown);
  if (isObject(v) && v.domainUnknown !== undefined) throw new NotEvaluable(v.domainUnknown.why);
  if (Array.isArray(v)) return v.map(textOf).join(' ');
  return stringify(v);
}

/**
 * `-eq` with the right operand converted to the left one's type. An Exchange object on the left
 * (a principal, an extended right, an IPRange) compares through its .NET type, which the
 * Management Shell may hand over deserialized; whether it then equals a string is not
 * established, so the dry run does not answer it (UNSURE: docs/reference/extended-rights.md).
 */
function equals(lhs: PsValue, rhs: PsValue, caseSensitive: boolean): boolean {
  if (isObject(lhs) && lhs.object === 'String' && lhs.domainUnknown !== undefined) {
    // `.ToString()` of a domain group: equal only to `D\Name` for the unknown D.
    const r = stringify(rhs);
    const fold = (x: string): string => (caseSensitive ? x : x.toLowerCase());
    const end = fold(lhs.domainUnknown.suffix);
    const could = fold(r).endsWith(end) && r.length > end.length && !r.slice(0, -end.length).includes('\\');
    if (could) throw new NotEvaluable(`${lhs.domainUnknown.why}; "${r}" could be it`);
    return false;
  }
  if (isObject(lhs)) {
    throw new NotEvaluable(`${lhs.object} "${lhs.text}" is an Exchange object: whether -eq matches it against a string in the Exchange Management Shell is not established; compare with -like or .ToString()`);
  }
  if (isHash(lhs) || isHash(rhs)) throw new NotEvaluable('a hashtable in a comparison');
  if (Array.isArray(lhs)) throw new NotEvaluable('a comparison on a nested collection');
  if (lhs === null) {
    if (Array.isArray(rhs)) throw new NotEvaluable('$null compared with a collection');
    return rhs === null;
  }
  if (typeof lhs === 'string') {
    if (rhs === null) return false;
    const r = stringify(rhs);
    return caseSensitive ? lhs === r : lhs.toLowerCase() === r.toLowerCase();
  }
  if (typeof lhs === 'boolean') return lhs === isTruthy(rhs);
  // A number: the right side must read as a number.
  if (rhs === null) return false;
  if (typeof rhs === 'number') return lhs === rhs;
  if (typeof rhs === 'boolean') return lhs === (rhs ? 1 : 0);
  const text = stringify(rhs).trim();
  if (!/^[+-]?\d+(?:\.\d+)?$/.test(text)) throw new NotEvaluable(`"${text}" compared with the number ${lhs}`);
  return lhs === Number(text);
}

function ordered(op: string, lhs: PsValue, rhs: PsValue): boolean {
  const l = typeof lhs === 'number' ? lhs : null;
  const r = typeof rhs === 'number' ? rhs : typeof rhs === 'string' && /^\s*[+-]?\d+(?:\.\d+)?\s*$/.test(rhs) ? Number(rhs) : null;
  if (l === null || r === null) throw new NotEvaluable(`-${op} on values that are not both numbers`);
  switch (op) {
    case 'gt': return l > r;
    case 'ge': return l >= r;
    case 'lt': return l < r;
    default: return l <= r;
  }
}

/** PowerShell's -like: `*`, `?`, `[abc]`, `[a-z]`, backtick escapes; the whole text must match. */
export function wildcardMatches(text: string, pattern: string, caseSensitive = false): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? '';
    if (c === '`' && i + 1 < pattern.length) {
      source += escapeRegex(pattern[i + 1] ?? '');
      i++;
    } else if (c === '*') source += '[\\s\\S]*';
    else if (c === '?') source += '[\\s\\S]';
    else if (c === '[') {
      const close = pattern.indexOf(']', i + 1);
      if (close < 0) throw new NotEvaluable(`the wildcard pattern "${pattern}" has an unclosed [`);
      const set = pattern.slice(i + 1, close);
      if (set === '') throw new NotEvaluable(`the wildcard pattern "${pattern}" has an empty []`);
      source += `[${set.replace(/[\\\]^]/g, (x) => `\\${x}`)}]`;
      i = close;
    } else source += escapeRegex(c);
  }
  return new RegExp(`^${source}$`, caseSensitive ? 'u' : 'iu').test(text);
}

function escapeRegex(c: string): string {
  return c.replace(/[.*+?^${}()|[\]\\/]/g, (x) => `\\${x}`);
}

/**
 * PowerShell's -match uses .NET regular expressions. The constructs both engines read the same
 * way are evaluated; anything else (inline options, named groups, lookarounds, .NET-only
 * escapes) is not, and Unicode-sensitive classes (\w, \d, \b) only on ASCII text.
 */
export function regexMatches(text: string, pattern: string, caseSensitive = false): boolean {
  const SAFE = /^(?:[^\\[(]|\\[\\.*+?()[\]{}|^$/\-dDwWsS:@'"#%&=!<>,~ ]|\[(?:[^\]\\]|\\[\\\]\-dws.])*\]|\((?!\?))*$/;
  if (!SAFE.test(pattern)) throw new NotEvaluable(`the regular expression "${pattern}" uses constructs .NET and the dry run may read differently`);
  if (/\\[dDwWbB]/.test(pattern) && /[^\x20-\x7e]/.test(text)) {
    throw new NotEvaluable(`\\w, \\d and \\b match non-ASCII text differently in .NET ("${text}")`);
  }
  try {
    return new RegExp(pattern, caseSensitive ? '' : 'i').test(text);
  } catch {
    throw new NotEvaluable(`the regular expression "${pattern}" cannot be read`);
  }
}

/** `lhs + rhs`: arrays concatenate, strings join, numbers add. */
export function addValues(lhs: PsValue, rhs: PsValue): PsValue {
  if (lhs === null) return rhs;
  if (Array.isArray(lhs)) return [...lhs, ...(Array.isArray(rhs) ? rhs : [rhs])];
  if (typeof lhs === 'string') {
    if (isHash(rhs)) throw new NotEvaluable('a hashtable added to a string');
    return lhs + stringify(rhs);
  }
  if (typeof lhs === 'number') {
    if (typeof rhs === 'number') return lhs + rhs;
    if (typeof rhs === 'string' && /^\s*[+-]?\d+(?:\.\d+)?\s*$/.test(rhs)) return lhs + Number(rhs);
  }
  throw new NotEvaluable(`+ on ${describe(lhs)} and ${describe(rhs)}`);
}

/** `lhs - rhs`: numbers only. PowerShell defines no `-` for collections: it fails at run time. */
export function subtractValues(lhs: PsValue, rhs: PsValue): PsValue {
  if (Array.isArray(lhs)) {
    throw new PowerShellFailure('PowerShell has no "-" for a collection (the method op_Subtraction is not found), so this fails and changes nothing; remove an entry with -RemoteIPRanges @{Remove=…} or filter the list with Where-Object');
  }
  const r = typeof rhs === 'string' && /^\s*[+-]?\d+(?:\.\d+)?\s*$/.test(rhs) ? Number(rhs) : rhs;
  if (typeof lhs === 'number' && typeof r === 'number') return lhs - r;
  throw new NotEvaluable(`- on ${describe(lhs)} and ${describe(rhs)}`);
}

function describe(v: PsValue): string {
  if (v === null) return '$null';
  if (Array.isArray(v)) return 'a collection';
  if (isHash(v)) return 'a hashtable';
  if (isObject(v)) return v.object;
  return typeof v;
}

/** Whether `-and`/`-or`/`-xor` as written is a logical operator the dry run evaluates. */
export function logicalOperator(written: string): 'and' | 'or' | 'xor' | null {
  const w = written.trim().toLowerCase();
  return w === '-and' ? 'and' : w === '-or' ? 'or' : w === '-xor' ? 'xor' : null;
}
