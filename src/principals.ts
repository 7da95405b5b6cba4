// Well-known security principals as they appear in Get-ADPermission `User` values, across
// Windows display languages and as raw SIDs (reference §2.1, §2.4; corpus MANIFEST
// "Localisation notes"). Pure data + lookup: importers and the policy engine both use it.
// principalKey is the key the policy engine matches rights on, so the same ACE is recognised
// whichever way it was exported (SID, English or translated name, any domain prefix).

export interface WellKnownPrincipal {
  /** The English name Exchange documentation uses; the canonical form we compare on. */
  canonical: string;
  /** Well-known SID, where the principal has a fixed one. */
  sid: string | null;
  /**
   * true: the name is `<DOMAIN>\<group>` with a customer-specific domain part (e.g.
   * `CORP\Exchange Servers`); only the part after the backslash is matched and the
   * customer's domain is kept.
   */
  domainScoped: boolean;
  /** Names as Windows prints them in various languages (compared case- and accent-insensitively). */
  names: string[];
}

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

export const WELL_KNOWN_PRINCIPALS: readonly WellKnownPrincipal[] = [
  {
    canonical: ANONYMOUS_LOGON, sid: 'S-1-5-7', domainScoped: false,
    names: [
      'NT AUTHORITY\\ANONYMOUS LOGON',
      'NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG', // German [real: MANIFEST]
      'AUTORITE NT\\ANONYMOUS LOGON', // French [real: MANIFEST]
      'AUTORITÉ NT\\ANONYMOUS LOGON',
      // UNSURE(reference): the following translations are not in the corpus; from Windows display names.
      'NT INSTANS\\ANONYM LOGON',
      'NT AUTHORITY\\INICIO DE SESIÓN ANÓNIMO',
      'NT-INSTANTIE\\ANONIEME AANMELDING',
      'ZARZĄDZANIE NT\\LOGOWANIE ANONIMOWE',
      'NT AUTHORITY\\ACCESSO ANONIMO',
      'ANONYMOUS LOGON',
    ],
  },
  {
    canonical: AUTHENTICATED_USERS, sid: 'S-1-5-11', domainScoped: false,
    names: [
      'NT AUTHORITY\\Authenticated Users',
      'NT-AUTORITÄT\\Authentifizierte Benutzer', // German [real: MANIFEST alias list]
      'AUTORITE NT\\Utilisateurs authentifiés',
      'AUTORITÉ NT\\Utilisateurs authentifiés',
      // UNSURE(reference): not in the corpus.
      'NT AUTHORITY\\Usuarios autentificados',
      'NT INSTANS\\Autentiserade användare',
      'NT-INSTANTIE\\Geverifieerde gebruikers',
      'ZARZĄDZANIE NT\\Użytkownicy uwierzytelnieni',
      'NT AUTHORITY\\Utenti autenticati',
    ],
  },
  {
    canonical: EVERYONE, sid: 'S-1-1-0', domainScoped: false,
    // German "Jeder", French "Tout le monde" [real: MANIFEST]; others UNSURE(reference).
    names: ['Everyone', 'Jeder', 'Tout le monde', 'Todos', 'Iedereen', 'Alla', 'Wszyscy', 'Tutti'],
  },
  {
    canonical: 'NT AUTHORITY\\SYSTEM', sid: 'S-1-5-18', domainScoped: false,
    names: ['NT AUTHORITY\\SYSTEM', 'NT-AUTORITÄT\\SYSTEM', 'AUTORITE NT\\Système', 'AUTORITÉ NT\\Système', 'AUTORITE NT\\SYSTEM'],
  },
  {
    canonical: 'NT AUTHORITY\\NETWORK SERVICE', sid: 'S-1-5-20', domainScoped: false,
    names: ['NT AUTHORITY\\NETWORK SERVICE', 'NT-AUTORITÄT\\NETZWERKDIENST', 'AUTORITE NT\\SERVICE RÉSEAU'],
  },
  {
    canonical: 'BUILTIN\\Administrators', sid: 'S-1-5-32-544', domainScoped: false,
    names: ['BUILTIN\\Administrators', 'VORDEFINIERT\\Administratoren', 'BUILTIN\\Administrateurs'],
  },
  // Exchange's own pseudo-principals (reference §2.1). Their names are not localised.
  { canonical: 'MS Exchange\\Hub Transport Servers', sid: null, domainScoped: false, names: ['MS Exchange\\Hub Transport Servers'] },
  { canonical: 'MS Exchange\\Edge Transport Servers', sid: null, domainScoped: false, names: ['MS Exchange\\Edge Transport Servers'] },
  { canonical: 'MS Exchange\\Externally Secured Servers', sid: null, domainScoped: false, names: ['MS Exchange\\Externally Secured Servers'] },
  { canonical: 'MS Exchange\\Partner Servers', sid: null, domainScoped: false, names: ['MS Exchange\\Partner Servers'] },
  { canonical: 'MS Exchange\\Legacy Exchange Servers', sid: null, domainScoped: false, names: ['MS Exchange\\Legacy Exchange Servers'] },
  // Domain groups that the permission groups grant to (reference §2.1): the domain part varies.
  { canonical: 'Exchange Servers', sid: null, domainScoped: true, names: ['Exchange Servers'] },
  { canonical: 'ExchangeLegacyInterop', sid: null, domainScoped: true, names: ['ExchangeLegacyInterop'] },
];

function fold(text: string): string {
  return text.normalize('NFD').replace(/[\u0300-\u036f]/g, '').toLowerCase().replace(/\s+/g, ' ').trim();
}

const BY_NAME = new Map<string, WellKnownPrincipal>();
const BY_SID = new Map<string, WellKnownPrincipal>();
const BY_GROUP = new Map<string, WellKnownPrincipal>();
for (const p of WELL_KNOWN_PRINCIPALS) {
  if (p.sid !== null) BY_SID.set(p.sid.toUpperCase(), p);
  for (const n of p.names) (p.domainScoped ? BY_GROUP : BY_NAME).set(fold(n), p);
}

// An estate repeats a few principal names across tens of thousands of AD entries, and every
// lookup folds Unicode: the answers are kept per distinct string (bounded, as the input is).
const LOOKUP_CACHE_LIMIT = 10_000;
const foundByUser = new Map<string, WellKnownPrincipal | null>();
const keyByUser = new Map<string, string>();

function remember<T>(cache: Map<string, T>, user: string, value: T): T {
  if (cache.size >= LOOKUP_CACHE_LIMIT) cache.clear();
  cache.set(user, value);
  return value;
}

/** The well-known principal a `User` value names (by SID or localised name), or null. */
export function findWellKnownPrincipal(user: string): WellKnownPrincipal | null {
  const known = foundByUser.get(user);
  return known !== undefined ? known : remember(foundByUser, user, lookUpWellKnownPrincipal(user));
}

function lookUpWellKnownPrincipal(user: string): WellKnownPrincipal | null {
  const text = user.trim();
  const sid = BY_SID.get(text.toUpperCase());
  if (sid !== undefined) return sid;
  const folded = fold(text);
  const named = BY_NAME.get(folded);
  if (named !== undefined) return named;
  const slash = folded.lastIndexOf('\\');
  if (slash > 0) {
    const group = BY_GROUP.get(folded.slice(slash + 1));
    if (group !== undefined) return group;
  }
  return null;
}

/**
 * Canonical English name of a well-known principal (`S-1-5-7` and
 * `NT-AUTORITÄT\ANONYMOUS-ANMELDUNG` → `NT AUTHORITY\ANONYMOUS LOGON`); for domain groups the
 * customer's domain is kept (`corp\exchange servers` → `corp\Exchange Servers`). Null when the
 * user is not a well-known principal.
 */
export function canonicalPrincipal(user: string): string | null {
  const hit = findWellKnownPrincipal(user);
  if (hit === null) return null;
  if (!hit.domainScoped) return hit.canonical;
  const text = user.trim();
  return `${text.slice(0, text.lastIndexOf('\\'))}\\${hit.canonical}`;
}

/**
 * Expands a table cell truncated by Format-Table (`NT AUTHORITY\ANON...`) when exactly one
 * well-known principal's name starts with the visible part. Null when none or several match.
 */
export function expandTruncatedPrincipal(cell: string): string | null {
  const visible = fold(cell.replace(/(\.\.\.|…)\s*$/, ''));
  if (visible === '') return null;
  const hits = new Set<WellKnownPrincipal>();
  for (const p of WELL_KNOWN_PRINCIPALS) {
    if (p.domainScoped) continue;
    if (p.names.some((n) => fold(n).startsWith(visible))) hits.add(p);
  }
  if (hits.size !== 1) return null;
  const [only] = [...hits];
  return only === undefined ? null : only.canonical;
}

/**
 * The key two principal names are compared by (lower case): the canonical English name of a
 * well-known principal, `<domain>\exchange servers` for a domain group whatever its domain,
 * else the name as written.
 */
export function principalKey(user: string): string {
  return keyByUser.get(user) ?? remember(keyByUser, user, keyOfPrincipal(user));
}

function keyOfPrincipal(user: string): string {
  const hit = findWellKnownPrincipal(user);
  if (hit === null) return user.trim().toLowerCase();
  return (hit.domainScoped ? `<DOMAIN>\\${hit.canonical}` : hit.canonical).toLowerCase();
}
