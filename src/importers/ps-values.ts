// Parsers for the printed forms of PowerShell / Exchange values (reference §1.2, §1.3, §5).
// Each returns a value or null ("could not parse"); the record mappers decide whether a null
// becomes a warning. Nothing here throws on bad input.
import ipaddr from 'ipaddr.js';
import {
  AUTH_MECHANISMS, PERMISSION_GROUPS,
  type AuthMechanism, type Binding, type IpRange, type PermissionGroup,
} from '../model.js';
import type { PsValue } from './types.js';
import { formatAddress, parseIpv4Number } from '../policy/ip.js';

// ---------------------------------------------------------------- addresses

type Family = 4 | 6;
interface Addr { family: Family; v4: number; v6: number[] | null }


/** True when the text is already in canonical dotted-quad form (no leading zeros). */
function isCanonicalV4(text: string): boolean {
  for (let i = 0; i + 1 < text.length; i++) {
    if (text.charCodeAt(i) === 48 && (i === 0 || text.charCodeAt(i - 1) === 46) && text.charCodeAt(i + 1) !== 46) return false;
  }
  return true;
}

function formatV4(value: number): string {
  return `${Math.floor(value / 16777216) % 256}.${Math.floor(value / 65536) % 256}.${Math.floor(value / 256) % 256}.${value % 256}`;
}

/** Hex group (1–4 digits) → value, or -1. */
function hexGroup(text: string, from: number, to: number): number {
  if (to <= from || to - from > 4) return -1;
  let v = 0;
  for (let i = from; i < to; i++) {
    const c = text.charCodeAt(i);
    const d = c >= 48 && c <= 57 ? c - 48 : c >= 97 && c <= 102 ? c - 87 : c >= 65 && c <= 70 ? c - 55 : -1;
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}

/**
 * Plain IPv6 text (hex groups, at most one `::`, optional dotted IPv4 tail) → eight words.
 * Hand-written for speed on large range lists; anything it does not accept goes to ipaddr.js.
 */
function parseV6Words(text: string): number[] | null {
  const dbl = text.indexOf('::');
  if (dbl !== -1 && text.indexOf('::', dbl + 1) !== -1) return null;
  const parseSide = (side: string, allowV4Tail: boolean): number[] | null => {
    if (side === '') return [];
    const parts = side.split(':');
    const out: number[] = [];
    for (let k = 0; k < parts.length; k++) {
      const part = parts[k] as string;
      if (allowV4Tail && k === parts.length - 1 && part.includes('.')) {
        const v4 = parseIpv4Number(part);
        if (v4 === null) return null;
        out.push(Math.floor(v4 / 65536), v4 % 65536);
        continue;
      }
      const g = hexGroup(part, 0, part.length);
      if (g < 0) return null;
      out.push(g);
    }
    return out;
  };
  if (dbl === -1) {
    const words = parseSide(text, true);
    return words !== null && words.length === 8 ? words : null;
  }
  const head = parseSide(text.slice(0, dbl), false);
  const tail = parseSide(text.slice(dbl + 2), true);
  if (head === null || tail === null || head.length + tail.length > 7) return null;
  return [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
}

function parseAddr(raw: string): Addr | null {
  const text = raw.trim();
  const v4 = parseIpv4Number(text);
  if (v4 !== null) return { family: 4, v4, v6: null };
  // Scope ids (fe80::1%11) are accepted by Exchange; they do not change the address bounds.
  const pct = text.indexOf('%');
  const bare = pct === -1 ? text : text.slice(0, pct);
  if (!bare.includes(':')) return null;
  const fast = parseV6Words(bare);
  if (fast !== null) return { family: 6, v4: 0, v6: fast };
  if (!ipaddr.IPv6.isValid(bare)) return null;
  return { family: 6, v4: 0, v6: ipaddr.IPv6.parse(bare).parts.slice() };
}

/**
 * RFC 5952 text of an IPv6 address given as eight 16-bit words: lower-case hex without leading
 * zeros, the longest run (first on a tie) of two or more zero words as `::`; IPv4-mapped
 * addresses in mixed notation (§5).
 */
export function formatV6(words: readonly number[]): string {
  // One RFC 5952 writer for the whole tool: the policy engine's.
  let value = 0n;
  for (let i = 0; i < 8; i++) value = (value << 16n) | BigInt(words[i] ?? 0);
  return formatAddress(6, value);
}

function formatAddr(a: Addr): string {
  return a.family === 4 ? formatV4(a.v4) : formatV6(a.v6 ?? []);
}

/** One address in RFC 5952 form (IPv4 dotted quad), or null. */
export function normaliseAddress(text: string): string | null {
  const a = parseAddr(text);
  return a === null ? null : formatAddr(a);
}

function compareAddr(a: Addr, b: Addr): number {
  if (a.family === 4) return a.v4 - b.v4;
  const x = a.v6 ?? [];
  const y = b.v6 ?? [];
  for (let i = 0; i < 8; i++) { const d = (x[i] ?? 0) - (y[i] ?? 0); if (d !== 0) return d; }
  return 0;
}

function cidrBounds(a: Addr, prefix: number): [Addr, Addr] | null {
  if (a.family === 4) {
    if (prefix < 0 || prefix > 32) return null;
    const size = 2 ** (32 - prefix);
    const first = a.v4 - (a.v4 % size);
    return [{ family: 4, v4: first, v6: null }, { family: 4, v4: first + size - 1, v6: null }];
  }
  if (prefix < 0 || prefix > 128) return null;
  const lo: number[] = [];
  const hi: number[] = [];
  const words = a.v6 ?? [];
  for (let i = 0; i < 8; i++) {
    const bits = Math.max(0, Math.min(16, prefix - i * 16));
    const mask = bits === 0 ? 0 : (0xffff << (16 - bits)) & 0xffff;
    const w = words[i] ?? 0;
    lo.push(w & mask);
    hi.push((w & mask) | (~mask & 0xffff));
  }
  return [{ family: 6, v4: 0, v6: lo }, { family: 6, v4: 0, v6: hi }];
}

function maskPrefix(mask: Addr): number | null {
  if (mask.family !== 4) return null;
  let prefix = 0;
  let v = mask.v4;
  for (let bit = 31; bit >= 0; bit--) {
    const set = Math.floor(v / 2 ** bit) % 2 === 1;
    if (!set) break;
    prefix++;
  }
  // The remaining bits must all be zero for a contiguous mask.
  v = prefix === 32 ? 0 : mask.v4 % 2 ** (32 - prefix);
  return v === 0 ? prefix : null;
}

/**
 * An IPRange expression (single address, CIDR, a-b, or a(netmask)) → inclusive bounds in
 * RFC 5952 form; `expression` is kept as exported. Null when it is not a range.
 */
export function parseIpRange(raw: string): IpRange | null {
  const expression = raw.trim();
  // Fast path for the common case (one IPv4 address), which dominates large exports.
  const single4 = parseIpv4Number(expression);
  if (single4 !== null) {
    const text = isCanonicalV4(expression) ? expression : formatV4(single4);
    return { expression, first: text, last: text };
  }
  const slash = expression.indexOf('/');
  if (slash > 0) {
    const a = parseAddr(expression.slice(0, slash));
    const p = expression.slice(slash + 1).trim();
    if (a === null || !/^\d{1,3}$/.test(p)) return null;
    const b = cidrBounds(a, Number(p));
    return b === null ? null : { expression, first: formatAddr(b[0]), last: formatAddr(b[1]) };
  }
  const paren = expression.includes('(') ? /^([^()]+)\(([^()]+)\)$/.exec(expression) : null;
  if (paren !== null) {
    const a = parseAddr(paren[1] ?? '');
    const m = parseAddr(paren[2] ?? '');
    const prefix = m === null ? null : maskPrefix(m);
    if (a === null || prefix === null || a.family !== 4) return null;
    const b = cidrBounds(a, prefix);
    return b === null ? null : { expression, first: formatAddr(b[0]), last: formatAddr(b[1]) };
  }
  const dash = expression.indexOf('-');
  if (dash > 0) {
    const a = parseAddr(expression.slice(0, dash));
    const b = parseAddr(expression.slice(dash + 1));
    if (a === null || b === null || a.family !== b.family || compareAddr(a, b) > 0) return null;
    return { expression, first: formatAddr(a), last: formatAddr(b) };
  }
  const a = parseAddr(expression);
  if (a === null) return null;
  const text = formatAddr(a);
  return { expression, first: text, last: text };
}

/** `[::]:25`, `0.0.0.0:25`, `10.0.0.10:25`, `[2001:db8::10]:25` → {address, port}; null if not a binding. */
export function parseBinding(raw: string): Binding | null {
  const text = raw.trim();
  let host: string;
  let port: string;
  const bracket = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  if (bracket !== null) {
    host = bracket[1] ?? '';
    port = bracket[2] ?? '';
  } else {
    const colon = text.lastIndexOf(':');
    if (colon <= 0) return null;
    host = text.slice(0, colon);
    port = text.slice(colon + 1);
  }
  if (!/^\d{1,5}$/.test(port)) return null;
  const portNumber = Number(port);
  if (portNumber > 65535) return null;
  const address = normaliseAddress(host);
  return address === null ? null : { address, port: portNumber };
}

// ---------------------------------------------------------------- scalars

export { parseByteSize } from '../powershell/values.js';

/** `Unlimited` → null, an integer → number, else undefined. */
export function parseUnlimitedInt(raw: string): number | null | undefined {
  const text = raw.trim();
  if (/^unlimited$/i.test(text)) return null;
  if (/^-?\d+$/.test(text)) return Number(text);
  return undefined;
}

/** True/False as printed, `$true`, `1`/`0`; undefined otherwise. */
export function parseBoolean(raw: string): boolean | undefined {
  const text = raw.trim().toLowerCase().replace(/^\$/, '');
  if (text === 'true' || text === '1' || text === 'yes') return true;
  if (text === 'false' || text === '0' || text === 'no') return false;
  return undefined;
}

/**
 * A printed list: `{a, b, c}` (Format-List), or a cell joined by the admin with `;`, `,` or
 * whitespace. Empty and `{}` give [].
 */
export function splitList(raw: string, separators: 'any' | 'comma' = 'any'): string[] {
  let text = raw.trim();
  if (text.startsWith('{') && text.endsWith('}')) {
    text = text.slice(1, -1);
    return text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  }
  if (text === '') return [];
  const pattern = separators === 'comma' ? /\s*,\s*/ : text.includes(';') ? /\s*;\s*/ : text.includes(',') ? /\s*,\s*/ : /\s+/;
  return text.split(pattern).map((s) => s.trim()).filter((s) => s !== '');
}

// ---------------------------------------------------------------- enums (reference §1.3)

export const AUTH_MECHANISM_FLAGS: ReadonlyArray<readonly [AuthMechanism, number]> = [
  ['Tls', 1], ['Integrated', 2], ['BasicAuth', 4], ['BasicAuthRequireTLS', 8], ['ExchangeServer', 16], ['ExternalAuthoritative', 32],
];
export const PERMISSION_GROUP_FLAGS: ReadonlyArray<readonly [PermissionGroup, number]> = [
  ['AnonymousUsers', 1], ['ExchangeUsers', 2], ['ExchangeServers', 4], ['ExchangeLegacyServers', 8], ['Partners', 16], ['Custom', 32],
];

export interface FlagsResult<T extends string> { values: T[]; unknown: string[] }

// UNSURE(reference): §9.3 — whether ConvertTo-Json prints Exchange enums as numbers or names is
// unconfirmed, so both are read (test: "UNSURE(reference): ConvertTo-Json enums as numbers or names …").
/**
 * Flag enums: a number (ConvertTo-Json), names joined by `, ` (`Tls, BasicAuth`), a list of
 * names, or `None` (→ []). Names are matched case-insensitively and returned in bit order.
 */
export function parseFlags<T extends string>(
  allowed: readonly T[], flags: ReadonlyArray<readonly [T, number]>, value: PsValue,
): FlagsResult<T> {
  const found = new Set<T>();
  const unknown: string[] = [];
  const addName = (name: string): void => {
    const n = name.trim();
    if (n === '' || n.toLowerCase() === 'none') return;
    if (/^\d+$/.test(n)) { addNumber(Number(n)); return; }
    const hit = allowed.find((a) => a.toLowerCase() === n.toLowerCase());
    if (hit === undefined) unknown.push(n); else found.add(hit);
  };
  const addNumber = (num: number): void => {
    let rest = num;
    for (const [name, bit] of flags) {
      if (Math.floor(num / bit) % 2 === 1) { found.add(name); rest -= bit; }
    }
    if (rest !== 0) unknown.push(String(rest));
  };
  const visit = (v: PsValue): void => {
    if (typeof v === 'number') addNumber(v);
    // Flag names contain no spaces, so `Tls, BasicAuth`, `{Tls, BasicAuth}` and `Tls;BasicAuth` all split the same way.
    else if (typeof v === 'string') { for (const part of v.replace(/^\s*\{|\}\s*$/g, '').split(/[\s,;]+/)) addName(part); }
    else if (Array.isArray(v)) { for (const item of v) visit(item); }
    else if (v !== null && typeof v === 'object') {
      // ConvertTo-Json of a live enum at depth: {"value__": 31} or {"Value": 31}
      const inner = v.value__ ?? v.Value ?? v.ToString;
      if (inner !== undefined) visit(inner);
    }
  };
  visit(value);
  return { values: flags.map(([n]) => n).filter((n) => found.has(n)), unknown };
}

export function parseAuthMechanism(value: PsValue): FlagsResult<AuthMechanism> {
  return parseFlags(AUTH_MECHANISMS, AUTH_MECHANISM_FLAGS, value);
}

export function parsePermissionGroups(value: PsValue): FlagsResult<PermissionGroup> {
  return parseFlags(PERMISSION_GROUPS, PERMISSION_GROUP_FLAGS, value);
}

/** A plain (non-flag) enum: by name or by its numeric value. */
export function parseEnumValue<T extends string>(members: ReadonlyArray<readonly [T, number]>, value: PsValue): T | undefined {
  if (typeof value === 'number') return members.find(([, n]) => n === value)?.[0];
  if (typeof value === 'string') {
    const t = value.trim();
    if (/^\d+$/.test(t)) return members.find(([, n]) => n === Number(t))?.[0];
    return members.find(([name]) => name.toLowerCase() === t.toLowerCase())?.[0];
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const inner = value.value__ ?? value.Value ?? value.ToString;
    return inner === undefined ? undefined : parseEnumValue(members, inner);
  }
  return undefined;
}

// ---------------------------------------------------------------- dates

/**
 * ISO 8601 (CLIXML <DT>), ConvertTo-Json `/Date(1623456789000)/` → ISO 8601 UTC. Culture-printed
 * dates (`3/24/2021 10:37:11 AM`, `24.03.2021 10:37:11`) are ambiguous and give null.
 */
export function parseDate(raw: string): string | null {
  const text = raw.trim();
  const ms = /^\/Date\((-?\d+)(?:[+-]\d{4})?\)\/$/.exec(text);
  if (ms !== null) return new Date(Number(ms[1])).toISOString();
  if (/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text)) {
    const hasZone = /(Z|[+-]\d{2}:?\d{2})$/.test(text) || !text.includes('T');
    const d = new Date(hasZone ? text : `${text}Z`);
    return Number.isNaN(d.getTime()) ? null : d.toISOString().replace(/\.000Z$/, 'Z');
  }
  return null;
}

// ---------------------------------------------------------------- helpers on PsValue

/** The text of a value: strings as they are, numbers/booleans printed, objects by their ToString. */
export function psText(value: PsValue | undefined): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return value.map((v) => psText(v) ?? '').join(', ');
  const ts = value.ToString;
  if (typeof ts === 'string') return ts;
  return null;
}

/** A value as a list of items: arrays as they are, strings split (`{a, b}` or joined cells). */
export function psList(value: PsValue | undefined, separators: 'any' | 'comma' = 'any'): PsValue[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return splitList(value, separators);
  return [value];
}

/** Is this cell the type name Export-Csv printed instead of a multi-valued property's items? */
export function isTypeNameCell(value: string): boolean {
  const t = value.trim();
  return /^(Deserialized\.)?(Microsoft\.Exchange\.|System\.)[\w.`]+(\[.*\])?$/.test(t)
    && /MultiValuedProperty|Collection|ArrayList|\[\]|`\d/.test(t);
}
