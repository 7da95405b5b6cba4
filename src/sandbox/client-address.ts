// Which address a sandbox session is "seen as" for connector selection, and who may say so.
// Contract (CLI.md, sandbox): XCLIENT ADDR (with --xclient) > PROXY source (with
// --proxy-protocol) > --client-ip > the real peer; XCLIENT and PROXY are honoured only from a
// loopback peer or one named by --trust-proxy.
import ipaddr from 'ipaddr.js';

/** RFC 5952 form for IPv6, dotted quad for IPv4; an IPv4-mapped IPv6 address becomes IPv4. */
export function normalizeAddress(text: string): string {
  const trimmed = text.trim().replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  if (!ipaddr.isValid(trimmed)) return trimmed.toLowerCase();
  const parsed = ipaddr.process(trimmed);
  return parsed.kind() === 'ipv6' ? (parsed as ipaddr.IPv6).toRFC5952String() : parsed.toString();
}

export function isLoopback(address: string): boolean {
  const normalized = normalizeAddress(address);
  if (!ipaddr.isValid(normalized)) return false;
  return ipaddr.process(normalized).range() === 'loopback';
}

/** A peer may send XCLIENT / a PROXY header when it is loopback or listed in --trust-proxy. */
export function isTrustedPeer(peer: string, trustProxy: readonly string[]): boolean {
  const normalized = normalizeAddress(peer);
  return isLoopback(normalized) || trustProxy.some((entry) => normalizeAddress(entry) === normalized);
}

export interface AddressSources {
  /** ADDR of the session's last XCLIENT (only when --xclient and the peer is trusted). */
  xclient: string | null;
  /** Source of the PROXY header (only when --proxy-protocol and the peer is trusted). */
  proxy: string | null;
  /** --client-ip */
  clientIp: string | null;
  /** The real TCP peer. */
  peer: string;
}

export type AddressOrigin = 'xclient' | 'proxy' | 'client-ip' | 'peer';

/** The contract's priority order, in one place. */
export function effectiveClientAddress(sources: AddressSources): { address: string; origin: AddressOrigin } {
  if (sources.xclient !== null) return { address: normalizeAddress(sources.xclient), origin: 'xclient' };
  if (sources.proxy !== null) return { address: normalizeAddress(sources.proxy), origin: 'proxy' };
  if (sources.clientIp !== null) return { address: normalizeAddress(sources.clientIp), origin: 'client-ip' };
  return { address: normalizeAddress(sources.peer), origin: 'peer' };
}
