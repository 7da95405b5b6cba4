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

interface Acc { right: string; classes: number; explicitDeny: RightSource[]; explicitAllow: RightSource[]; inheritedDeny: RightSource[]; inheritedAllow: RightSource[] }

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

/** Where an ACE naming a right comes from: a permission group's ACE or an AD permission entry. */
type AceOrigin = GroupAce | Permission;

/**
 * Every (right, class of ACE) that the connector's permission groups and AD entries give one of
 * `principals`, in order: the groups' ACEs (explicit), then the AD entries in export order.
 * computeRights and anonymousHolds read the ACL through this one walk, so they cannot disagree.
 */
function forEachAceRight(policy: PolicyIndex, connector: ReceiveConnector, principals: ReadonlySet<string>, visit: (right: string, aceClass: number, origin: AceOrigin) => void): void {
  for (const [ace, principal] of GROUP_ACE_PRINCIPALS) {
    if (!connector.permissionGroups.includes(ace.group) || !principals.has(principal)) continue;
    const aceClass = ace.deny ? EXPLICIT_DENY : EXPLICIT_ALLOW;
    for (const right of ace.rights) visit(right, aceClass, ace);
  }
  const entries = permissionEntriesOf(policy, connector);
  const keys = entryKeysOf(policy, connector, entries);
  for (let i = 0; i < entries.length; i++) {
    if (!principals.has(keys[i] as string)) continue;
    const p = entries[i] as Permission;
    let rights: readonly string[] = p.extendedRights;
    if (rights.length === 0) {
      // UNSURE(reference §2.4 step 3): GenericAll, or ExtendedRight with no specific right,
      // grants every extended right; exports rarely show it this way.
      const access = readAccessRights(p.extra).map((r) => r.toLowerCase());
      if (access.includes('genericall') || access.includes('extendedright')) rights = KNOWN_RIGHTS;
    }
    const aceClass = p.inherited ? (p.deny ? INHERITED_DENY : INHERITED_ALLOW) : (p.deny ? EXPLICIT_DENY : EXPLICIT_ALLOW);
    for (const right of rights) visit(right, aceClass, p);
  }
}

// Classes of ACE naming a right, as bits.
const EXPLICIT_DENY = 1;
const EXPLICIT_ALLOW = 2;
const INHERITED_DENY = 4;
const INHERITED_ALLOW = 8;

/** Windows canonical ACE order (§2.4 step 2): the first class that names the right decides. */
function allowedByClasses(classes: number): boolean {
  if ((classes & EXPLICIT_DENY) !== 0) return false;
  if ((classes & EXPLICIT_ALLOW) !== 0) return true;
  if ((classes & INHERITED_DENY) !== 0) return false;
  return (classes & INHERITED_ALLOW) !== 0;
}

// The permission groups' ACEs are the table's own objects: told from AD entries by identity,
// not by a property an imported entry might also carry.
const GROUP_ACES: ReadonlySet<AceOrigin> = new Set<AceOrigin>(PERMISSION_GROUP_ACES);

function sourceOf(origin: AceOrigin): RightSource {
  if (GROUP_ACES.has(origin)) {
    const ace = origin as GroupAce;
    return { kind: 'group', group: ace.group, principal: ace.principal };
  }
  const p = origin as Permission;
  return { kind: 'permission', user: p.user, deny: p.deny, inherited: p.inherited };
}

function computeRights(policy: PolicyIndex, connector: ReceiveConnector, who: Principal): EffectiveRight[] {
  const acc = new Map<string, Acc>();
  // One source per ACE, shared by the rights it names.
  let lastOrigin: AceOrigin | null = null;
  let lastSource: RightSource | null = null;
  forEachAceRight(policy, connector, new Set(sessionPrincipals(who)), (right, aceClass, origin) => {
    const [name, key] = canonicalRightAndKey(right);
    let a = acc.get(key);
    if (a === undefined) {
      a = { right: name, classes: 0, explicitDeny: [], explicitAllow: [], inheritedDeny: [], inheritedAllow: [] };
      acc.set(key, a);
    }
    if (origin !== lastOrigin) { lastOrigin = origin; lastSource = sourceOf(origin); }
    const source = lastSource as RightSource;
    a.classes |= aceClass;
    (aceClass === EXPLICIT_DENY ? a.explicitDeny : aceClass === EXPLICIT_ALLOW ? a.explicitAllow : aceClass === INHERITED_DENY ? a.inheritedDeny : a.inheritedAllow).push(source);
  });
  const known = KNOWN_RIGHT_ORDER;
  return [...acc.values()]
    .map((a): EffectiveRight => ({ right: a.right, allowed: allowedByClasses(a.classes), grantedBy: [...a.explicitAllow, ...a.inheritedAllow], deniedBy: [...a.explicitDeny, ...a.inheritedDeny] }))
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

/**
 * Whether anonymous effectively holds one right (its lower-case canonical key): computeRights'
 * reading of the same group ACEs and AD entries, for that right alone, without building the
 * rights list and its sources. canRelayAnonymously asks it of every connector, most of which
 * no rule asks for their rights.
 */
function anonymousHolds(policy: PolicyIndex, connector: ReceiveConnector, rightKey: string): boolean {
  let classes = 0;
  forEachAceRight(policy, connector, ANONYMOUS_PRINCIPALS, (right, aceClass) => {
    if (canonicalRightAndKey(right)[1] === rightKey) classes |= aceClass;
  });
  return allowedByClasses(classes);
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
