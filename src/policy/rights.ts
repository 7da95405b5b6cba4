// Effective rights of a session principal on a connector (reference §2.4; rules.md "Effective
// rights"): the rights the connector's permission groups grant (§2.1 table, as data in
// permission-groups.ts) together with the imported AD entries, resolved in Windows order:
// explicit Deny > explicit Allow > inherited Deny > inherited Allow.
import type { JsonValue } from '../json.js';
import type { Permission, PermissionGroup, ReceiveConnector } from '../model.js';
import { extraValue } from './extra.js';
import { type PolicyIndex, tablesOf } from './policy-index.js';
import {
  ACCEPT_ANY_RECIPIENT, KNOWN_RIGHTS, PERMISSION_GROUP_ACES, SMTP_SUBMIT, canonicalRight, type GroupAce,
} from './permission-groups.js';
import {
  ANONYMOUS_LOGON, AUTHENTICATED_USERS, EDGE_TRANSPORT_SERVERS, EVERYONE, EXCHANGE_LEGACY_INTEROP, EXCHANGE_SERVERS,
  EXTERNALLY_SECURED_SERVERS, HUB_TRANSPORT_SERVERS, PARTNER_SERVERS, principalKey,
} from '../principals.js';

export * from './permission-groups.js';
export { canonicalPrincipal, principalKey } from '../principals.js';
export { ANONYMOUS_LOGON } from '../principals.js';

export type PrincipalKind = 'anonymous' | 'authenticatedUser' | 'partner' | 'exchangeServer' | 'externallySecured' | 'legacyExchangeServer';
export type Principal = PrincipalKind | { user: string };

export type RightSource =
  | { kind: 'group'; group: PermissionGroup; principal: string }
  | { kind: 'permission'; user: string; deny: boolean; inherited: boolean };

export interface EffectiveRight {
  /** Spelled as Microsoft spells it. */
  right: string;
  allowed: boolean;
  /** Every Allow that names this right for the principal (group ACEs and imported entries). */
  grantedBy: RightSource[];
  /** Every Deny that names this right for the principal. */
  deniedBy: RightSource[];
}

/**
 * The principals (canonical keys, lower case) whose ACEs apply to a session (§2.4 step 1).
 * UNSURE(reference): whether `Everyone` ACEs apply to anonymous SMTP sessions is unconfirmed;
 * we do not apply them (an anonymous logon token does not contain Everyone by default since
 * Windows Server 2003).
 * An authenticated account gets its own entries, Authenticated Users and Everyone; its AD group
 * memberships are not in the exports, so entries for its groups are not applied.
 */
export function sessionPrincipals(who: Principal): string[] {
  if (typeof who === 'object') return [principalKey(who.user), AUTHENTICATED_USERS.toLowerCase(), EVERYONE.toLowerCase()];
  switch (who) {
    case 'anonymous': return [ANONYMOUS_LOGON.toLowerCase()];
    case 'authenticatedUser': return [AUTHENTICATED_USERS.toLowerCase(), EVERYONE.toLowerCase()];
    case 'partner': return [PARTNER_SERVERS.toLowerCase()];
    case 'exchangeServer': return [EXCHANGE_SERVERS, HUB_TRANSPORT_SERVERS, EDGE_TRANSPORT_SERVERS].map((p) => p.toLowerCase());
    case 'externallySecured': return [EXTERNALLY_SECURED_SERVERS.toLowerCase()];
    case 'legacyExchangeServer': return [EXCHANGE_LEGACY_INTEROP.toLowerCase()];
  }
}

function principalCacheKey(who: Principal): string {
  return typeof who === 'object' ? `user:${principalKey(who.user)}` : who;
}

interface Acc { right: string; explicitDeny: RightSource[]; explicitAllow: RightSource[]; inheritedDeny: RightSource[]; inheritedAllow: RightSource[] }

function readAccessRights(extra: Record<string, JsonValue> | undefined): string[] {
  const raw = extraValue(extra, 'AccessRights');
  if (typeof raw === 'string') return raw.split(/[,\s]+/).filter((s) => s !== '');
  if (Array.isArray(raw)) return raw.filter((s): s is string => typeof s === 'string');
  return [];
}

/** Effective rights of a principal on a connector, with where each right came from. */
export function effectiveRights(policy: PolicyIndex, connector: ReceiveConnector, who: Principal): EffectiveRight[] {
  // Connectors outside the snapshot (built by callers) are computed each time.
  if (!policy.knows(connector)) return computeRights(policy, connector, who);
  // The connector's own memo (object keys): asked for every connector by several rules, and a
  // string key per question was a measurable share of an audit on large estates.
  const memo = policy.memoMap(connector);
  const key = RIGHTS_MEMO + principalCacheKey(who);
  let rights = memo.get(key) as EffectiveRight[] | undefined;
  if (rights === undefined) { rights = computeRights(policy, connector, who); memo.set(key, rights); }
  return rights;
}

const RIGHTS_MEMO = 'rights|';
const ALLOWED_MEMO = 'allowed|';
const ANONYMOUS_RELAY_MEMO = 'anonymous-relay';

/** The rights a principal holds on a connector, lower case, from its (memoised) effective rights. */
function allowedKeys(policy: PolicyIndex, connector: ReceiveConnector, who: Principal): ReadonlySet<string> {
  const make = (): Set<string> => new Set(effectiveRights(policy, connector, who).filter((r) => r.allowed).map((r) => r.right.toLowerCase()));
  if (!policy.knows(connector)) return make();
  const memo = policy.memoMap(connector);
  const key = ALLOWED_MEMO + principalCacheKey(who);
  let allowed = memo.get(key) as Set<string> | undefined;
  if (allowed === undefined) { allowed = make(); memo.set(key, allowed); }
  return allowed;
}

// principalKey normalises Unicode and looks up every language's names: once per distinct user
// string of a snapshot, not once per AD entry and principal asked about.
const userKeys = new WeakMap<PolicyIndex, Map<string, string>>();

function userKeysOf(policy: PolicyIndex): (user: string) => string {
  let keys = userKeys.get(policy);
  if (keys === undefined) { keys = new Map(); userKeys.set(policy, keys); }
  const known = keys;
  return (user) => {
    let key = known.get(user);
    if (key === undefined) { key = principalKey(user); known.set(user, key); }
    return key;
  };
}

// Constant tables of computeRights, made once instead of per connector and principal.
const GROUP_ACE_PRINCIPALS: ReadonlyArray<readonly [GroupAce, string]> = PERMISSION_GROUP_ACES.map((ace) => [ace, ace.principal.toLowerCase()] as const);
const KNOWN_RIGHT_ORDER: ReadonlyMap<string, number> = new Map<string, number>(KNOWN_RIGHTS.map((r, i) => [r, i]));

const ENTRY_KEYS_MEMO = 'entry-keys';

// A few right spellings repeat over every AD entry: each one canonicalised once (bounded cache).
const rightNames = new Map<string, readonly [string, string]>();

function canonicalRightAndKey(right: string): readonly [string, string] {
  let known = rightNames.get(right);
  if (known === undefined) {
    const name = canonicalRight(right);
    known = [name, name.toLowerCase()] as const;
    if (rightNames.size >= 10_000) rightNames.clear();
    rightNames.set(right, known);
  }
  return known;
}

/** The principal key of each AD entry of a connector (in entry order), once per connector: every principal asked about reads them. */
function entryKeysOf(policy: PolicyIndex, connector: ReceiveConnector, entries: readonly Permission[]): readonly string[] {
  const make = (): string[] => {
    const keyOf = userKeysOf(policy);
    return entries.map((p) => keyOf(p.user));
  };
  if (!policy.knows(connector)) return make();
  const memo = policy.memoMap(connector);
  let keys = memo.get(ENTRY_KEYS_MEMO) as string[] | undefined;
  if (keys === undefined) { keys = make(); memo.set(ENTRY_KEYS_MEMO, keys); }
  return keys;
}

function computeRights(policy: PolicyIndex, connector: ReceiveConnector, who: Principal): EffectiveRight[] {
  const principals = new Set(sessionPrincipals(who));
  const acc = new Map<string, Acc>();
  const slot = (right: string): Acc => {
    const [name, key] = canonicalRightAndKey(right);
    let a = acc.get(key);
    if (a === undefined) {
      a = { right: name, explicitDeny: [], explicitAllow: [], inheritedDeny: [], inheritedAllow: [] };
      acc.set(key, a);
    }
    return a;
  };
  for (const [ace, principal] of GROUP_ACE_PRINCIPALS) {
    if (!connector.permissionGroups.includes(ace.group) || !principals.has(principal)) continue;
    const source: RightSource = { kind: 'group', group: ace.group, principal: ace.principal };
    for (const right of ace.rights) (ace.deny ? slot(right).explicitDeny : slot(right).explicitAllow).push(source);
  }
  const entries = permissionEntriesOf(policy, connector);
  const keys = entryKeysOf(policy, connector, entries);
  for (let i = 0; i < entries.length; i++) {
    const p = entries[i] as Permission;
    if (!principals.has(keys[i] as string)) continue;
    const source: RightSource = { kind: 'permission', user: p.user, deny: p.deny, inherited: p.inherited };
    let rights = p.extendedRights;
    if (rights.length === 0) {
      // UNSURE(reference §2.4 step 3): GenericAll, or ExtendedRight with no specific right,
      // grants every extended right; exports rarely show it this way.
      const access = readAccessRights(p.extra).map((r) => r.toLowerCase());
      if (access.includes('genericall') || access.includes('extendedright')) rights = [...KNOWN_RIGHTS];
    }
    for (const right of rights) {
      const a = slot(right);
      if (p.inherited) (p.deny ? a.inheritedDeny : a.inheritedAllow).push(source);
      else (p.deny ? a.explicitDeny : a.explicitAllow).push(source);
    }
  }
  const known = KNOWN_RIGHT_ORDER;
  return [...acc.values()]
    .map((a): EffectiveRight => {
      // Windows canonical ACE order (§2.4 step 2): the first class that names the right decides.
      const allowed = a.explicitDeny.length > 0 ? false
        : a.explicitAllow.length > 0 ? true
          : a.inheritedDeny.length > 0 ? false
            : a.inheritedAllow.length > 0;
      return { right: a.right, allowed, grantedBy: [...a.explicitAllow, ...a.inheritedAllow], deniedBy: [...a.explicitDeny, ...a.inheritedDeny] };
    })
    .sort((x, y) => (known.get(x.right) ?? 1000) - (known.get(y.right) ?? 1000) || x.right.localeCompare(y.right));
}

export function hasRight(policy: PolicyIndex, connector: ReceiveConnector, who: Principal, right: string): boolean {
  return allowedKeys(policy, connector, who).has(canonicalRightAndKey(right)[1]);
}

/** The set of rights a principal effectively holds (canonical spelling). */
export function allowedRights(policy: PolicyIndex, connector: ReceiveConnector, who: Principal): Set<string> {
  return new Set(effectiveRights(policy, connector, who).filter((r) => r.allowed).map((r) => r.right));
}

/**
 * rules.md "Anonymous relay": ANONYMOUS LOGON effectively holds Accept-Any-Recipient and
 * Submit on an enabled connector. (AnonymousUsers alone grants no Accept-Any-Recipient.)
 * This is the ACL view; on an ExternalAuthoritative connector sessions never run as anonymous
 * (they are externally secured, see isExternallySecured), which replay models separately.
 */
export function canRelayAnonymously(policy: PolicyIndex, connector: ReceiveConnector): boolean {
  if (!connector.enabled) return false;
  // Asked per connector by most rules and fix generators: kept with the connector.
  const memo = policy.knows(connector) ? policy.memoMap(connector) : null;
  const known = memo?.get(ANONYMOUS_RELAY_MEMO);
  if (typeof known === 'boolean') return known;
  const relays = anonymousHolds(policy, connector, ACCEPT_ANY_RECIPIENT_KEY) && anonymousHolds(policy, connector, SMTP_SUBMIT_KEY);
  memo?.set(ANONYMOUS_RELAY_MEMO, relays);
  return relays;
}

const ACCEPT_ANY_RECIPIENT_KEY = canonicalRight(ACCEPT_ANY_RECIPIENT).toLowerCase();
const SMTP_SUBMIT_KEY = canonicalRight(SMTP_SUBMIT).toLowerCase();
const ANONYMOUS_PRINCIPALS: ReadonlySet<string> = new Set(sessionPrincipals('anonymous'));

// Classes of ACE naming a right (anonymousHolds), in computeRights' order of precedence.
const EXPLICIT_DENY = 1;
const EXPLICIT_ALLOW = 2;
const INHERITED_DENY = 4;
const INHERITED_ALLOW = 8;

/**
 * Whether anonymous effectively holds one right (its lower-case canonical key): computeRights'
 * reading of the same group ACEs and AD entries, for that right alone, without building the
 * rights list and its sources. canRelayAnonymously asks it of every connector, most of which
 * no rule asks for their rights.
 */
function anonymousHolds(policy: PolicyIndex, connector: ReceiveConnector, rightKey: string): boolean {
  let classes = 0;
  for (const [ace, principal] of GROUP_ACE_PRINCIPALS) {
    if (!connector.permissionGroups.includes(ace.group) || !ANONYMOUS_PRINCIPALS.has(principal)) continue;
    for (const right of ace.rights) if (canonicalRightAndKey(right)[1] === rightKey) classes |= ace.deny ? EXPLICIT_DENY : EXPLICIT_ALLOW;
  }
  const entries = permissionEntriesOf(policy, connector);
  const keys = entryKeysOf(policy, connector, entries);
  for (let i = 0; i < entries.length; i++) {
    if (!ANONYMOUS_PRINCIPALS.has(keys[i] as string)) continue;
    const p = entries[i] as Permission;
    let rights: readonly string[] = p.extendedRights;
    if (rights.length === 0) {
      const access = readAccessRights(p.extra).map((r) => r.toLowerCase());
      if (access.includes('genericall') || access.includes('extendedright')) rights = KNOWN_RIGHTS;
    }
    for (const right of rights) {
      if (canonicalRightAndKey(right)[1] !== rightKey) continue;
      classes |= p.inherited ? (p.deny ? INHERITED_DENY : INHERITED_ALLOW) : (p.deny ? EXPLICIT_DENY : EXPLICIT_ALLOW);
    }
  }
  // Windows canonical ACE order (§2.4 step 2), as computeRights decides it.
  if ((classes & EXPLICIT_DENY) !== 0) return false;
  if ((classes & EXPLICIT_ALLOW) !== 0) return true;
  if ((classes & INHERITED_DENY) !== 0) return false;
  return (classes & INHERITED_ALLOW) !== 0;
}

/**
 * rules.md "Externally secured relay": ExternalAuthoritative in AuthMechanism and
 * ExchangeServers in PermissionGroups. A property of the configuration: it does not look at
 * `enabled` (isRelayCapable does).
 */
export function isExternallySecured(connector: ReceiveConnector): boolean {
  return connector.authMechanism.includes('ExternalAuthoritative') && connector.permissionGroups.includes('ExchangeServers');
}

/** rules.md "Relay-capable connector": enabled, with anonymous relay or externally secured relay. */
export function isRelayCapable(policy: PolicyIndex, connector: ReceiveConnector): boolean {
  return connector.enabled && (canRelayAnonymously(policy, connector) || isExternallySecured(connector));
}

/** The AD permission entries of one connector, in export order (the engine's index, built once per snapshot). */
export function permissionEntriesOf(policy: PolicyIndex, connector: Pick<ReceiveConnector, 'identity'>): readonly Permission[] {
  return tablesOf(policy).permissionsByIdentity.get(connector.identity.toLowerCase()) ?? [];
}
