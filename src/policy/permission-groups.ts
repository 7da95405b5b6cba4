// Permission group → principal → extended rights, as data (reference §2.1 [doc][code]).
// PermissionGroups is a shorthand: setting it writes these ACEs on the connector's AD object
// and the SMTP service only evaluates the ACL (§2.1, §2.3).
import type { Permission, PermissionGroup, ReceiveConnector } from '../model.js';
import {
  ANONYMOUS_LOGON, AUTHENTICATED_USERS, EDGE_TRANSPORT_SERVERS, EXCHANGE_LEGACY_INTEROP, EXCHANGE_SERVERS,
  EXTERNALLY_SECURED_SERVERS, HUB_TRANSPORT_SERVERS, PARTNER_SERVERS, principalKey,
} from '../principals.js';

export const SMTP_SUBMIT = 'ms-Exch-SMTP-Submit';
export const ACCEPT_ANY_RECIPIENT = 'ms-Exch-SMTP-Accept-Any-Recipient';
export const ACCEPT_ANY_SENDER = 'ms-Exch-SMTP-Accept-Any-Sender';
export const ACCEPT_AUTHORITATIVE_DOMAIN_SENDER = 'ms-Exch-SMTP-Accept-Authoritative-Domain-Sender';
export const ACCEPT_AUTHENTICATION_FLAG = 'ms-Exch-SMTP-Accept-Authentication-Flag';
export const BYPASS_ANTI_SPAM = 'ms-Exch-Bypass-Anti-Spam';
export const BYPASS_MESSAGE_SIZE_LIMIT = 'ms-Exch-Bypass-Message-Size-Limit';
export const ACCEPT_EXCH50 = 'ms-Exch-SMTP-Accept-Exch50';
export const ACCEPT_HEADERS_ROUTING = 'ms-Exch-Accept-Headers-Routing';
export const ACCEPT_HEADERS_FOREST = 'ms-Exch-Accept-Headers-Forest';
export const ACCEPT_HEADERS_ORGANIZATION = 'ms-Exch-Accept-Headers-Organization';

/** Every right of the catalogue (§2.2), spelled as Microsoft spells them. */
export const KNOWN_RIGHTS = [
  SMTP_SUBMIT, ACCEPT_ANY_RECIPIENT, ACCEPT_AUTHENTICATION_FLAG, ACCEPT_ANY_SENDER, ACCEPT_AUTHORITATIVE_DOMAIN_SENDER,
  BYPASS_ANTI_SPAM, BYPASS_MESSAGE_SIZE_LIMIT, ACCEPT_EXCH50, ACCEPT_HEADERS_ROUTING, ACCEPT_HEADERS_FOREST,
  ACCEPT_HEADERS_ORGANIZATION,
  'ms-Exch-SMTP-Accept-XShadow', 'ms-Exch-SMTP-Accept-XProxyFrom', 'ms-Exch-SMTP-Accept-XSessionParams',
  'ms-Exch-SMTP-Accept-XAttr', 'ms-Exch-SMTP-Accept-XSysProbe',
  'ms-Exch-SMTP-Send-XMessageContext-ADRecipientCache', 'ms-Exch-SMTP-Send-XMessageContext-ExtendedProperties',
  'ms-Exch-SMTP-Send-XMessageContext-FastIndex',
  'ms-Exch-SMTP-Send-Exch50', 'ms-Exch-Send-Headers-Routing', 'ms-Exch-Send-Headers-Organization', 'ms-Exch-Send-Headers-Forest',
] as const;

const SERVER_NINE = [
  SMTP_SUBMIT, ACCEPT_ANY_RECIPIENT, ACCEPT_AUTHENTICATION_FLAG, ACCEPT_ANY_SENDER, ACCEPT_AUTHORITATIVE_DOMAIN_SENDER,
  BYPASS_ANTI_SPAM, BYPASS_MESSAGE_SIZE_LIMIT, ACCEPT_EXCH50, ACCEPT_HEADERS_ROUTING,
];
const EXCHANGE_SERVER_RIGHTS = [
  ...SERVER_NINE, ACCEPT_HEADERS_FOREST, ACCEPT_HEADERS_ORGANIZATION,
  'ms-Exch-SMTP-Accept-XShadow', 'ms-Exch-SMTP-Accept-XProxyFrom', 'ms-Exch-SMTP-Accept-XSessionParams',
  'ms-Exch-SMTP-Accept-XAttr', 'ms-Exch-SMTP-Accept-XSysProbe',
  'ms-Exch-SMTP-Send-XMessageContext-ADRecipientCache', 'ms-Exch-SMTP-Send-XMessageContext-ExtendedProperties',
  'ms-Exch-SMTP-Send-XMessageContext-FastIndex',
];

export interface GroupAce {
  group: PermissionGroup;
  /** Canonical principal (see principals.ts). */
  principal: string;
  rights: readonly string[];
  deny: boolean;
  /** Where the row comes from. */
  cite: string;
}

/** The ACEs setup writes for each permission group. Setup's ACEs are explicit (not inherited). */
export const PERMISSION_GROUP_ACES: readonly GroupAce[] = [
  { group: 'AnonymousUsers', principal: ANONYMOUS_LOGON, deny: false,
    rights: [SMTP_SUBMIT, ACCEPT_ANY_SENDER, ACCEPT_AUTHORITATIVE_DOMAIN_SENDER, ACCEPT_HEADERS_ROUTING],
    cite: 'reference §2.1 AnonymousUsers [doc][code]: no Accept-Any-Recipient, so AnonymousUsers alone never relays' },
  { group: 'ExchangeUsers', principal: AUTHENTICATED_USERS, deny: false,
    rights: [SMTP_SUBMIT, ACCEPT_ANY_RECIPIENT, BYPASS_ANTI_SPAM, ACCEPT_HEADERS_ROUTING],
    cite: 'reference §2.1 ExchangeUsers [doc][code]: any authenticated account may relay, by design' },
  ...[EXCHANGE_SERVERS, HUB_TRANSPORT_SERVERS, EDGE_TRANSPORT_SERVERS].map((principal): GroupAce => ({
    group: 'ExchangeServers', principal, deny: false, rights: EXCHANGE_SERVER_RIGHTS,
    cite: 'reference §2.1 ExchangeServers [doc][code]' })),
  { group: 'ExchangeServers', principal: EXTERNALLY_SECURED_SERVERS, deny: false, rights: SERVER_NINE,
    cite: 'reference §2.1 ExchangeServers (also Externally Secured Servers) [doc][code]: no Forest/Organization headers' },
  { group: 'ExchangeLegacyServers', principal: EXCHANGE_LEGACY_INTEROP, deny: false, rights: SERVER_NINE,
    cite: 'reference §2.1 ExchangeLegacyServers [doc][code]' },
  { group: 'ExchangeLegacyServers', principal: EXCHANGE_LEGACY_INTEROP, deny: true,
    rights: [ACCEPT_HEADERS_FOREST, ACCEPT_HEADERS_ORGANIZATION],
    cite: 'reference §2.1 ExchangeLegacyServers: setup also writes explicit Deny ACEs for Forest/Organization headers' },
  { group: 'Partners', principal: PARTNER_SERVERS, deny: false, rights: [SMTP_SUBMIT, ACCEPT_HEADERS_ROUTING],
    cite: 'reference §2.1 Partners [doc][code]' },
];

const BY_LOWER = new Map<string, string>(KNOWN_RIGHTS.map((r) => [r.toLowerCase(), r]));

/** A right spelled as Microsoft spells it (rights are compared case-insensitively). */
export function canonicalRight(right: string): string {
  const trimmed = right.trim();
  // The Microsoft docs table has a typo `s-Exch-…` (reference §2.1); accept it.
  const fixed = /^s-exch-/i.test(trimmed) ? `m${trimmed}` : trimmed;
  return BY_LOWER.get(fixed.toLowerCase()) ?? fixed;
}

/**
 * Whether an imported Deny entry is one setup creates with the ExchangeLegacyServers group
 * (ExchangeLegacyInterop denied Forest/Organization headers): audits discount these.
 */
export function isSetupDeny(user: string, right: string, _canonicalUser?: string | null): boolean {
  return principalKey(user) === EXCHANGE_LEGACY_INTEROP.toLowerCase()
    && (canonicalRight(right) === ACCEPT_HEADERS_FOREST || canonicalRight(right) === ACCEPT_HEADERS_ORGANIZATION);
}

const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Whether an imported entry's user is the principal a group's ACE names. */
export function principalMatches(ace: GroupAce, user: string): boolean {
  return principalKey(user) === ace.principal.toLowerCase();
}

// The model keeps PermissionGroups as groups and lists only the AD entries they do *not* imply
// (reference §2.3); apply keeps that split true after each change, migrate writes only those.
/** Whether a connector's groups already write this (user, right, allow/deny) entry. */
export function isImpliedByGroups(groups: readonly PermissionGroup[], user: string, right: string, deny: boolean): boolean {
  return PERMISSION_GROUP_ACES.some((ace) => groups.includes(ace.group) && ace.deny === deny
    && principalMatches(ace, user) && ace.rights.some((r) => eq(r, right)));
}

/** Explicit, non-inherited entries on `identity` that its groups do not imply, one per right. */
export function nonDefaultEntries(connector: ReceiveConnector, permissions: readonly Permission[]): Permission[] {
  const out: Permission[] = [];
  for (const p of permissions) {
    if (!eq(p.identity, connector.identity) || p.inherited) continue;
    for (const right of p.extendedRights) {
      if (isImpliedByGroups(connector.permissionGroups, p.user, right, p.deny)) continue;
      if (out.some((o) => eq(o.user, p.user) && o.deny === p.deny && eq(o.extendedRights[0] ?? '', right))) continue;
      out.push({ identity: connector.identity, user: p.user, deny: p.deny, inherited: false, extendedRights: [right] });
    }
  }
  return out;
}
