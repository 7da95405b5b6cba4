// Principal names as Get-ADPermission prints them vary by locale and export (SID, English or
// translated name, domain prefix). Rights are matched on a canonical name so the same ACE is
// recognised whichever way it was exported. Ordinary accounts have no canonical name and are
// compared case-insensitively as written.

export const ANONYMOUS_LOGON = 'NT AUTHORITY\\ANONYMOUS LOGON';
export const AUTHENTICATED_USERS = 'NT AUTHORITY\\Authenticated Users';
export const EVERYONE = 'Everyone';
/** `<DOMAIN>\Exchange Servers`: the domain prefix differs per organisation (reference §2.1). */
export const EXCHANGE_SERVERS = '<DOMAIN>\\Exchange Servers';
export const EXCHANGE_LEGACY_INTEROP = '<DOMAIN>\\ExchangeLegacyInterop';
export const HUB_TRANSPORT_SERVERS = 'MS Exchange\\Hub Transport Servers';
export const EDGE_TRANSPORT_SERVERS = 'MS Exchange\\Edge Transport Servers';
export const EXTERNALLY_SECURED_SERVERS = 'MS Exchange\\Externally Secured Servers';
export const PARTNER_SERVERS = 'MS Exchange\\Partner Servers';

// Well-known SIDs (Windows) and the translated names seen in localised exports.
const BY_SID: Record<string, string> = {
  's-1-5-7': ANONYMOUS_LOGON,
  's-1-5-11': AUTHENTICATED_USERS,
  's-1-1-0': EVERYONE,
};

const NT_AUTHORITY_NAMES = new Set(['nt authority', 'nt-autorität', 'nt-autoritat', 'autorite nt', 'autorité nt', 'nt-instans', 'nt-myndighet', 'nt instans', 'zarządzanie nt', 'nt-yetkilisi']);
const ANONYMOUS_NAMES = new Set(['anonymous logon', 'anonymous-anmeldung', 'anonieme aanmelding', 'ouverture de session anonyme', 'inicio de sesión anónimo', 'accesso anonimo', 'anonym inloggning']);
const AUTHENTICATED_NAMES = new Set(['authenticated users', 'authentifizierte benutzer', 'utilisateurs authentifiés', 'utilisateurs authentifies', 'usuarios autentificados', 'usuários autenticados', 'utenti autenticati', 'geverifieerde gebruikers', 'autentiserade användare']);
const EVERYONE_NAMES = new Set(['everyone', 'jeder', 'tout le monde', 'todos', 'iedereen', 'tutti', 'alla', 'wszyscy']);

const MS_EXCHANGE: Record<string, string> = {
  'hub transport servers': HUB_TRANSPORT_SERVERS,
  'edge transport servers': EDGE_TRANSPORT_SERVERS,
  'externally secured servers': EXTERNALLY_SECURED_SERVERS,
  'partner servers': PARTNER_SERVERS,
};

/**
 * The canonical name of a well-known principal (`NT AUTHORITY\ANONYMOUS LOGON` for `S-1-5-7`,
 * `NT-AUTORITÄT\ANONYMOUS-ANMELDUNG` …), or null for an ordinary account or group.
 */
export function canonicalPrincipal(user: string): string | null {
  const text = user.trim().toLowerCase();
  const sid = BY_SID[text];
  if (sid !== undefined) return sid;
  const slash = text.lastIndexOf('\\');
  const domain = slash >= 0 ? text.slice(0, slash).trim() : '';
  const name = slash >= 0 ? text.slice(slash + 1).trim() : text;
  if ((domain === '' || NT_AUTHORITY_NAMES.has(domain)) && ANONYMOUS_NAMES.has(name)) return ANONYMOUS_LOGON;
  if ((domain === '' || NT_AUTHORITY_NAMES.has(domain)) && AUTHENTICATED_NAMES.has(name)) return AUTHENTICATED_USERS;
  if (domain === '' && EVERYONE_NAMES.has(name)) return EVERYONE;
  if (domain === 'ms exchange' || domain === '') {
    const hit = MS_EXCHANGE[name];
    if (hit !== undefined) return hit;
  }
  if (domain !== 'ms exchange' && domain !== '' && name === 'exchange servers') return EXCHANGE_SERVERS;
  if (name === 'exchangelegacyinterop') return EXCHANGE_LEGACY_INTEROP;
  return null;
}

/** The key two principal names are compared by: canonical name, else the name lower-cased. */
export function principalKey(user: string): string {
  return (canonicalPrincipal(user) ?? user.trim()).toLowerCase();
}
