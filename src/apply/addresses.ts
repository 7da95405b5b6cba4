// RemoteIPRanges and Bindings as Exchange reads them from a command line (reference §5.1, §5.2),
// turned into the model's normalised form, plus the interval arithmetic the conflict rules need.
import ipaddr from 'ipaddr.js';
import type { Binding, IpRange } from '../model.js';

export type Family = 4 | 6;
export interface AddressInterval { family: Family; first: bigint; last: bigint }

function toBig(addr: ipaddr.IPv4 | ipaddr.IPv6): bigint {
  let value = 0n;
  if (addr.kind() === 'ipv4') {
    for (const octet of (addr as ipaddr.IPv4).octets) value = (value << 8n) | BigInt(octet);
  } else {
    for (const part of (addr as ipaddr.IPv6).parts) value = (value << 16n) | BigInt(part);
  }
  return value;
}

function fromBig(family: Family, value: bigint): string {
  if (family === 4) {
    const octets: number[] = [];
    for (let i = 3; i >= 0; i--) octets.push(Number((value >> BigInt(i * 8)) & 0xffn));
    return octets.join('.');
  }
  const parts: number[] = [];
  for (let i = 7; i >= 0; i--) parts.push(Number((value >> BigInt(i * 16)) & 0xffffn));
  return new ipaddr.IPv6(parts).toString();
}

/** One address (scope ids such as `%11` dropped), or null. IPv4-mapped IPv6 stays IPv6. */
export function parseOneAddress(text: string): { family: Family; value: bigint } | null {
  const bare = text.trim().replace(/%[^%]*$/, '');
  if (!ipaddr.isValid(bare)) return null;
  // ipaddr accepts shorthand IPv4 such as `10.1` or `10`; Exchange wants four parts.
  if (!bare.includes(':') && !ipaddr.IPv4.isValidFourPartDecimal(bare)) return null;
  const addr = ipaddr.parse(bare);
  return { family: addr.kind() === 'ipv4' ? 4 : 6, value: toBig(addr) };
}

/** Normalised address text (RFC 5952 / dotted quad), or null. */
export function normaliseAddress(text: string): string | null {
  const parsed = parseOneAddress(text);
  return parsed === null ? null : fromBig(parsed.family, parsed.value);
}

function maskLength(family: Family, prefix: number): { low: bigint; high: bigint } {
  const bits = family === 4 ? 32n : 128n;
  const host = bits - BigInt(prefix);
  const hostMask = (1n << host) - 1n;
  const all = (1n << bits) - 1n;
  return { low: all ^ hostMask, high: hostMask };
}

/** A RemoteIPRanges entry (`a`, `a/n`, `a-b`, `a(mask)`) as the model holds it, or null. */
export function parseIpRange(expression: string): IpRange | null {
  const text = expression.trim();
  const netmask = /^([^()]+)\(([^()]+)\)$/.exec(text);
  if (netmask !== null) {
    const base = parseOneAddress(netmask[1] ?? '');
    const mask = parseOneAddress(netmask[2] ?? '');
    if (base === null || mask === null || base.family !== 4 || mask.family !== 4) return null;
    const first = base.value & mask.value;
    const last = first | (~mask.value & 0xffffffffn);
    return { expression: text, first: fromBig(4, first), last: fromBig(4, last) };
  }
  const slash = text.indexOf('/');
  if (slash > 0) {
    const base = parseOneAddress(text.slice(0, slash));
    const lenText = text.slice(slash + 1);
    if (base === null || !/^\d{1,3}$/.test(lenText)) return null;
    const len = Number.parseInt(lenText, 10);
    if (len > (base.family === 4 ? 32 : 128)) return null;
    const { low, high } = maskLength(base.family, len);
    return { expression: text, first: fromBig(base.family, base.value & low), last: fromBig(base.family, (base.value & low) | high) };
  }
  // `a-b`: the dash cannot be part of an address, so the first dash splits.
  const dash = text.indexOf('-');
  if (dash > 0) {
    const a = parseOneAddress(text.slice(0, dash));
    const b = parseOneAddress(text.slice(dash + 1));
    if (a === null || b === null || a.family !== b.family || a.value > b.value) return null;
    return { expression: text, first: fromBig(a.family, a.value), last: fromBig(b.family, b.value) };
  }
  const one = parseOneAddress(text);
  if (one === null) return null;
  const norm = fromBig(one.family, one.value);
  return { expression: text, first: norm, last: norm };
}

/** A binding `ip:port` / `[v6]:port` as the model holds it, or null. */
export function parseBinding(text: string): Binding | null {
  const t = text.trim();
  const v6 = /^\[([^\]]+)\]:(\d{1,5})$/.exec(t);
  const v4 = /^([0-9.]+):(\d{1,5})$/.exec(t);
  const m = v6 ?? v4;
  if (m === null) return null;
  const address = normaliseAddress(m[1] ?? '');
  const port = Number.parseInt(m[2] ?? '', 10);
  if (address === null || port < 1 || port > 65535) return null;
  return { address, port };
}

/** A binding as Exchange prints it (IPv6 in brackets). */
export function formatBinding(b: Binding): string {
  return b.address.includes(':') ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`;
}

export function rangeInterval(range: IpRange): AddressInterval {
  const a = parseOneAddress(range.first);
  const b = parseOneAddress(range.last);
  if (a === null || b === null) throw new Error(`bad range ${range.expression}`);
  return { family: a.family, first: a.value, last: b.value };
}

export function bindingFamily(b: Binding): Family {
  return b.address.includes(':') ? 6 : 4;
}

export function isWildcard(b: Binding): boolean {
  return b.address === '0.0.0.0' || b.address === '::';
}

/** Same range for the model's purposes: same family and ends (the expression may differ). */
export function sameRange(a: IpRange, b: IpRange): boolean {
  return a.first === b.first && a.last === b.last;
}

export function sameBinding(a: Binding, b: Binding): boolean {
  return a.address === b.address && a.port === b.port;
}
