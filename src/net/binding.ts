// Bindings (Microsoft.Exchange.Data.IPBinding, reference §5.2): `IP:port`, IPv6 in brackets.
// One parser, one printed form, and the two ways of comparing bindings, named for what they mean.
import type { Binding } from '../model.js';
import { addressRefusal, formatAddress, parseAddressExact, type ParsedAddress } from './address.js';

/** A parsed binding (model form) or the one reason it is refused. */
type BindingParse = { binding: Binding; reason?: undefined } | { binding?: undefined; reason: string };

/**
 * `0.0.0.0:25`, `[::]:25`, `10.0.0.10:25`, `[2001:db8::10]:25` → {address, port}. An IPv6
 * address must be in brackets (without them its last group and the port cannot be told apart).
 * UNSURE(reference): IPBinding derives from IPEndPoint, whose ports are 0-65535; whether
 * Exchange refuses port 0 is unconfirmed, so 0 is read as written.
 */
export function parseBinding(text: string): BindingParse {
  const t = text.trim();
  const refused = (why: string): BindingParse => ({ reason: `"${t}" is not a binding (IP:port, [IPv6]:port): ${why}` });
  let host: string;
  let portText: string;
  if (t.startsWith('[')) {
    const close = t.indexOf(']');
    if (close < 0 || t[close + 1] !== ':') return refused('a bracketed IPv6 address must be followed by :port');
    host = t.slice(1, close);
    portText = t.slice(close + 2);
  } else {
    const colon = t.lastIndexOf(':');
    if (colon <= 0) return refused('the port is missing');
    host = t.slice(0, colon);
    portText = t.slice(colon + 1);
    if (host.includes(':')) return refused('an IPv6 address must be in brackets');
  }
  if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) return refused('the port must be a number 0-65535');
  const address = parseAddressExact(host);
  if (address === null) return refused(addressRefusal(host) ?? 'not an address');
  return { binding: { address: formatAddress(address.family, address.value), port: Number(portText) } };
}

/** A binding from CLIXML/JSON parts (IPBinding's Address and Port); null when the address is not one. */
export function bindingFromParts(address: string, port: number): Binding | null {
  const parsed = parseAddressExact(address);
  if (parsed === null || !Number.isInteger(port) || port < 0 || port > 65535) return null;
  return { address: formatAddress(parsed.family, parsed.value), port };
}

/** A binding as Exchange prints it (IPv6 in brackets). */
export function formatBinding(b: { address: string; port: number }): string {
  return b.address.includes(':') ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`;
}

function addressOf(b: { address: string }): ParsedAddress | null {
  return parseAddressExact(b.address);
}

/** The same endpoint: same port and the same address by value (`[::0]:25` is `[::]:25`). */
export function sameBinding(a: { address: string; port: number }, b: { address: string; port: number }): boolean {
  if (a.port !== b.port) return false;
  if (a.address === b.address) return true;
  const ka = addressOf(a);
  const kb = addressOf(b);
  return ka !== null && kb !== null && ka.family === kb.family && ka.value === kb.value;
}

/**
 * How two bindings compete for one listener (reference §4.4 rule 1): 'identical' endpoints, or
 * 'wildcard' when they share port and family and one side binds all addresses of the family;
 * null when they do not overlap (or an address does not parse).
 */
export function bindingOverlap(a: { address: string; port: number }, b: { address: string; port: number }): 'identical' | 'wildcard' | null {
  if (a.port !== b.port) return null;
  const ka = addressOf(a);
  const kb = addressOf(b);
  if (ka === null || kb === null || ka.family !== kb.family) return null;
  if (ka.value === kb.value) return 'identical';
  return ka.value === 0n || kb.value === 0n ? 'wildcard' : null;
}

/** Whether two bindings compete for one listener (identical, or one is the family's wildcard). */
export function bindingsOverlap(a: { address: string; port: number }, b: { address: string; port: number }): boolean {
  return bindingOverlap(a, b) !== null;
}

/** Canonical text of a binding set, for comparing connectors' bindings as sets (print order varies). */
export function bindingSetKey(bindings: ReadonlyArray<{ address: string; port: number }>): string {
  return [...new Set(bindings.map((b) => {
    const k = addressOf(b);
    return k === null ? `?${b.address}:${b.port}` : `${k.family}|${k.value.toString(16)}|${b.port}`;
  }))].sort().join(',');
}
