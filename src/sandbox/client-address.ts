// Which address a sandbox session is "seen as" for connector selection, and who may say so.
// Contract (CLI.md, sandbox): XCLIENT ADDR (with --xclient) > PROXY source (with
// --proxy-protocol) > --client-ip > the real peer; XCLIENT and PROXY are honoured only from a
// loopback peer or one named by --trust-proxy.
// Addresses are read and normalised by src/net (connectionAddressText: mapped IPv6 → IPv4).
import { connectionAddressText, isLoopbackAddress } from '../net/index.js';

/** A peer may send XCLIENT / a PROXY header when it is loopback or listed in --trust-proxy. */
export function isTrustedPeer(peer: string, trustProxy: readonly string[]): boolean {
  const normalized = connectionAddressText(peer);
  return isLoopbackAddress(normalized) || trustProxy.some((entry) => connectionAddressText(entry) === normalized);
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
  if (sources.xclient !== null) return { address: connectionAddressText(sources.xclient), origin: 'xclient' };
  if (sources.proxy !== null) return { address: connectionAddressText(sources.proxy), origin: 'proxy' };
  if (sources.clientIp !== null) return { address: connectionAddressText(sources.clientIp), origin: 'client-ip' };
  return { address: connectionAddressText(sources.peer), origin: 'peer' };
}
