// Principal names as Get-ADPermission prints them vary by locale and export (SID, English or
// translated name, domain prefix). Rights are matched on a key built from the shared
// well-known principal table (src/principals.ts) so the same ACE is recognised whichever way
// it was exported. Ordinary accounts are compared case-insensitively as written.
import { canonicalPrincipal, findWellKnownPrincipal } from '../principals.js';

export { canonicalPrincipal };

export const ANONYMOUS_LOGON = 'NT AUTHORITY\\ANONYMOUS LOGON';
export const AUTHENTICATED_USERS = 'NT AUTHORITY\\Authenticated Users';
export const EVERYONE = 'Everyone';
/** `<DOMAIN>\Exchange Servers`: the domain prefix differs per organisation (reference §2.1); any domain matches. */
export const EXCHANGE_SERVERS = '<DOMAIN>\\Exchange Servers';
export const EXCHANGE_LEGACY_INTEROP = '<DOMAIN>\\ExchangeLegacyInterop';
export const HUB_TRANSPORT_SERVERS = 'MS Exchange\\Hub Transport Servers';
export const EDGE_TRANSPORT_SERVERS = 'MS Exchange\\Edge Transport Servers';
export const EXTERNALLY_SECURED_SERVERS = 'MS Exchange\\Externally Secured Servers';
export const PARTNER_SERVERS = 'MS Exchange\\Partner Servers';

/**
 * The key two principal names are compared by (lower case): the canonical English name of a
 * well-known principal, `<domain>\exchange servers` for a domain group whatever its domain,
 * else the name as written.
 */
export function principalKey(user: string): string {
  const hit = findWellKnownPrincipal(user);
  if (hit === null) return user.trim().toLowerCase();
  return (hit.domainScoped ? `<DOMAIN>\\${hit.canonical}` : hit.canonical).toLowerCase();
}
