// What differs in behaviour between two servers (or one server in two snapshots): which client
// address intervals, per port, reach a different connector or a connector that grants different
// rights, and which connectors and permission entries exist on one side only. Pure: both sides
// are PolicyIndex values, and selection is the engine's, evaluated over intervals.
import type { JsonValue } from '../json.js';
import type { Permission, ReceiveConnector } from '../model.js';
import { ACCEPT_ANY_RECIPIENT, ACCEPT_ANY_SENDER, SMTP_SUBMIT, canRelayAnonymously, hasRight, isExternallySecured, portsOf, winningIntervals, type PolicyIndex, type WonInterval } from '../policy/index.js';
import { formatAddress, type Family } from '../net/index.js';

export const DIFF_SCHEMA = 'exrelay.diff/1';

export interface Side { policy: PolicyIndex; server: string }

/** What a client reaching a connector may do: the facts a migration must keep. */
export interface Behaviour {
  connector: string;
  /** The connector's name without its server's name: "Default Frontend EX01" → "Default Frontend". */
  name: string;
  anonymousSubmit: boolean;
  anonymousRelay: boolean;
  anonymousAnySender: boolean;
  authenticatedSubmit: boolean;
  authenticatedRelay: boolean;
  externallySecured: boolean;
  requireTLS: boolean;
  authMechanism: string[];
}

export interface IntervalChange {
  port: number;
  family: Family;
  first: string;
  last: string;
  before: Behaviour | null;
  after: Behaviour | null;
  /** Which facts differ: "connector", or the Behaviour field names. */
  changes: string[];
}

export interface FieldDifference { field: string; before: JsonValue; after: JsonValue }

export interface DiffDocument {
  schema: typeof DIFF_SCHEMA;
  before: { server: string };
  after: { server: string };
  summary: { intervals: number; connectorsOnlyBefore: number; connectorsOnlyAfter: number; connectorsChanged: number; permissionsOnlyBefore: number; permissionsOnlyAfter: number };
  intervals: IntervalChange[];
  connectorsOnlyBefore: string[];
  connectorsOnlyAfter: string[];
  connectorsChanged: Array<{ name: string; before: string; after: string; differences: FieldDifference[] }>;
  permissionsOnlyBefore: Permission[];
  permissionsOnlyAfter: Permission[];
}

function escapeRegExp(s: string): string { return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }

/** The connector's name with its server's name taken out (default names end with it). */
export function logicalName(c: ReceiveConnector): string {
  const server = c.server.trim();
  const stripped = server === '' ? c.name : c.name.replace(new RegExp(`(^|[\\s_-])${escapeRegExp(server)}(?=$|[\\s_-])`, 'gi'), ' ');
  return stripped.replace(/\s+/g, ' ').trim().toLowerCase() || c.name.toLowerCase();
}

export function behaviourOf(policy: PolicyIndex, c: ReceiveConnector): Behaviour {
  const externallySecured = isExternallySecured(c);
  return {
    connector: c.identity,
    name: logicalName(c),
    anonymousSubmit: externallySecured || hasRight(policy, c, 'anonymous', SMTP_SUBMIT),
    anonymousRelay: externallySecured || canRelayAnonymously(policy, c),
    anonymousAnySender: externallySecured || hasRight(policy, c, 'anonymous', ACCEPT_ANY_SENDER),
    authenticatedSubmit: hasRight(policy, c, 'authenticatedUser', SMTP_SUBMIT),
    authenticatedRelay: hasRight(policy, c, 'authenticatedUser', ACCEPT_ANY_RECIPIENT),
    externallySecured,
    requireTLS: c.requireTLS,
    authMechanism: [...c.authMechanism].sort(),
  };
}

const BEHAVIOUR_FIELDS = ['anonymousSubmit', 'anonymousRelay', 'anonymousAnySender', 'authenticatedSubmit', 'authenticatedRelay', 'externallySecured', 'requireTLS', 'authMechanism'] as const;

function compareBehaviour(a: Behaviour | null, b: Behaviour | null): string[] {
  if (a === null && b === null) return [];
  if (a === null || b === null) return ['connector'];
  const changes: string[] = [];
  if (a.name !== b.name) changes.push('connector');
  for (const f of BEHAVIOUR_FIELDS) if (JSON.stringify(a[f]) !== JSON.stringify(b[f])) changes.push(f);
  return changes;
}

interface Piece { first: bigint; last: bigint; won: WonInterval }

/** Both partitions cut at each other's boundaries: every piece has one winner per side (or none). */
function overlay(before: Piece[], after: Piece[], family: Family): Array<{ first: bigint; last: bigint; before: WonInterval | null; after: WonInterval | null }> {
  const cuts = new Set<bigint>();
  for (const p of [...before, ...after]) { cuts.add(p.first); cuts.add(p.last + 1n); }
  const max = family === 4 ? 0xffffffffn : (1n << 128n) - 1n;
  const points = [...cuts].filter((x) => x <= max).sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  const out: Array<{ first: bigint; last: bigint; before: WonInterval | null; after: WonInterval | null }> = [];
  let i = 0;
  let j = 0;
  for (let k = 0; k < points.length; k++) {
    const first = points[k] as bigint;
    const last = k + 1 < points.length ? (points[k + 1] as bigint) - 1n : max;
    while (i < before.length && (before[i] as Piece).last < first) i++;
    while (j < after.length && (after[j] as Piece).last < first) j++;
    const b = i < before.length && (before[i] as Piece).first <= first ? (before[i] as Piece).won : null;
    const a = j < after.length && (after[j] as Piece).first <= first ? (after[j] as Piece).won : null;
    if (b === null && a === null) continue;
    out.push({ first, last, before: b, after: a });
  }
  return out;
}

function permissionKey(p: Permission, connectorName: string): string {
  return [connectorName, p.user.toLowerCase(), p.deny, p.inherited, [...p.extendedRights].map((r) => r.toLowerCase()).sort().join(',')].join('|');
}

const CONNECTOR_FIELDS = ['transportRole', 'enabled', 'bindings', 'remoteIPRanges', 'permissionGroups', 'authMechanism', 'requireTLS', 'domainSecureEnabled', 'tlsCertificateName', 'banner', 'protocolLoggingLevel', 'maxMessageSize', 'maxRecipientsPerMessage'] as const;

function comparable(c: ReceiveConnector, field: (typeof CONNECTOR_FIELDS)[number]): JsonValue {
  switch (field) {
    case 'bindings': return c.bindings.map((b) => `${b.address}:${b.port}`).sort();
    case 'remoteIPRanges': return c.remoteIPRanges.map((r) => `${r.first}-${r.last}`).sort();
    case 'permissionGroups': return [...c.permissionGroups].sort();
    case 'authMechanism': return [...c.authMechanism].sort();
    default: return c[field];
  }
}

export function diffServers(beforeSide: Side, afterSide: Side): DiffDocument {
  const behaviourCache = new Map<ReceiveConnector, Behaviour>();
  const behaviour = (policy: PolicyIndex, c: ReceiveConnector | undefined): Behaviour | null => {
    if (c === undefined) return null;
    let hit = behaviourCache.get(c);
    if (hit === undefined) { hit = behaviourOf(policy, c); behaviourCache.set(c, hit); }
    return hit;
  };

  const intervals: IntervalChange[] = [];
  const ports = [...new Set([...portsOf(beforeSide.policy, beforeSide.server), ...portsOf(afterSide.policy, afterSide.server)])].sort((a, b) => a - b);
  for (const port of ports) {
    const wonBefore = winningIntervals(beforeSide.policy, { server: beforeSide.server, port, localAddress: null });
    const wonAfter = winningIntervals(afterSide.policy, { server: afterSide.server, port, localAddress: null });
    for (const family of [4, 6] as const) {
      const pieces = (won: WonInterval[]): Piece[] => won.filter((w) => w.family === family).map((w) => ({ first: w.first, last: w.last, won: w }));
      let open: IntervalChange | null = null;
      let openLast = -1n;
      for (const piece of overlay(pieces(wonBefore), pieces(wonAfter), family)) {
        const before = behaviour(beforeSide.policy, piece.before?.connector);
        const after = behaviour(afterSide.policy, piece.after?.connector);
        const changes = compareBehaviour(before, after);
        if (changes.length === 0) { open = null; continue; }
        // Adjacent pieces with the same pair of connectors read as one interval.
        if (open !== null && openLast + 1n === piece.first && open.before?.connector === before?.connector && open.after?.connector === after?.connector) {
          open.last = formatAddress(family, piece.last);
          openLast = piece.last;
          continue;
        }
        open = { port, family, first: formatAddress(family, piece.first), last: formatAddress(family, piece.last), before, after, changes };
        openLast = piece.last;
        intervals.push(open);
      }
    }
  }

  const byName = (side: Side): Map<string, ReceiveConnector> => {
    const m = new Map<string, ReceiveConnector>();
    for (const c of side.policy.snapshot.connectors) if (c.server.toLowerCase() === side.server.toLowerCase() && !m.has(logicalName(c))) m.set(logicalName(c), c);
    return m;
  };
  const namesBefore = byName(beforeSide);
  const namesAfter = byName(afterSide);
  const connectorsOnlyBefore = [...namesBefore].filter(([n]) => !namesAfter.has(n)).map(([, c]) => c.identity);
  const connectorsOnlyAfter = [...namesAfter].filter(([n]) => !namesBefore.has(n)).map(([, c]) => c.identity);
  const connectorsChanged: DiffDocument['connectorsChanged'] = [];
  for (const [name, b] of namesBefore) {
    const a = namesAfter.get(name);
    if (a === undefined) continue;
    const differences: FieldDifference[] = [];
    for (const field of CONNECTOR_FIELDS) {
      const vb = comparable(b, field);
      const va = comparable(a, field);
      if (JSON.stringify(vb) !== JSON.stringify(va)) differences.push({ field, before: vb, after: va });
    }
    if (differences.length > 0) connectorsChanged.push({ name, before: b.identity, after: a.identity, differences });
  }

  const permissionsOf = (side: Side, names: Map<string, ReceiveConnector>): Map<string, Permission> => {
    const byIdentity = new Map<string, string>();
    for (const [n, c] of names) byIdentity.set(c.identity.toLowerCase(), n);
    const out = new Map<string, Permission>();
    for (const p of side.policy.snapshot.permissions) {
      const n = byIdentity.get(p.identity.toLowerCase());
      if (n !== undefined) out.set(permissionKey(p, n), p);
    }
    return out;
  };
  const permsBefore = permissionsOf(beforeSide, namesBefore);
  const permsAfter = permissionsOf(afterSide, namesAfter);
  const permissionsOnlyBefore = [...permsBefore].filter(([k]) => !permsAfter.has(k)).map(([, p]) => p);
  const permissionsOnlyAfter = [...permsAfter].filter(([k]) => !permsBefore.has(k)).map(([, p]) => p);
  // Connectors on one side only already say their permissions differ; listing each of their
  // entries again would bury the entries that changed on connectors both sides have.
  const onBoth = (p: Permission, names: Map<string, ReceiveConnector>, other: Map<string, ReceiveConnector>): boolean => {
    const entry = [...names].find(([, c]) => c.identity.toLowerCase() === p.identity.toLowerCase());
    return entry !== undefined && other.has(entry[0]);
  };
  const onlyBefore = permissionsOnlyBefore.filter((p) => onBoth(p, namesBefore, namesAfter));
  const onlyAfter = permissionsOnlyAfter.filter((p) => onBoth(p, namesAfter, namesBefore));

  return {
    schema: DIFF_SCHEMA,
    before: { server: beforeSide.server },
    after: { server: afterSide.server },
    summary: {
      intervals: intervals.length, connectorsOnlyBefore: connectorsOnlyBefore.length, connectorsOnlyAfter: connectorsOnlyAfter.length,
      connectorsChanged: connectorsChanged.length, permissionsOnlyBefore: onlyBefore.length, permissionsOnlyAfter: onlyAfter.length,
    },
    intervals,
    connectorsOnlyBefore,
    connectorsOnlyAfter,
    connectorsChanged,
    permissionsOnlyBefore: onlyBefore,
    permissionsOnlyAfter: onlyAfter,
  };
}

function describeBehaviour(b: Behaviour | null): string {
  if (b === null) return 'no connector (421 4.3.2)';
  const can: string[] = [];
  if (b.externallySecured) can.push('externally secured');
  if (b.anonymousRelay) can.push('anonymous relay');
  else if (b.anonymousSubmit) can.push('anonymous to accepted domains');
  else can.push('no anonymous mail');
  if (b.authenticatedRelay) can.push('authenticated relay');
  if (b.requireTLS) can.push('TLS required');
  return `${b.connector} [${can.join(', ')}]`;
}

/** The text a consultant reads: behaviour changes first, then configuration differences. */
export function renderDiffText(doc: DiffDocument): string {
  const lines: string[] = [`${doc.before.server} -> ${doc.after.server}`];
  if (doc.intervals.length === 0) lines.push('Behaviour: every client address gets the same connector behaviour on every port.');
  else {
    lines.push(`Behaviour changes (${doc.intervals.length} address intervals):`);
    for (const i of doc.intervals) {
      const range = i.first === i.last ? i.first : `${i.first}-${i.last}`;
      lines.push(`  port ${i.port} ${range}: ${describeBehaviour(i.before)} -> ${describeBehaviour(i.after)} (${i.changes.join(', ')})`);
    }
  }
  for (const c of doc.connectorsOnlyBefore) lines.push(`Only on ${doc.before.server}: ${c}`);
  for (const c of doc.connectorsOnlyAfter) lines.push(`Only on ${doc.after.server}: ${c}`);
  for (const c of doc.connectorsChanged) {
    lines.push(`Changed: ${c.before} -> ${c.after}`);
    for (const d of c.differences) lines.push(`  ${d.field}: ${JSON.stringify(d.before)} -> ${JSON.stringify(d.after)}`);
  }
  for (const p of doc.permissionsOnlyBefore) lines.push(`Permission only on ${doc.before.server}: ${p.identity} ${p.deny ? 'Deny' : 'Allow'} ${p.user} ${p.extendedRights.join(', ')}`);
  for (const p of doc.permissionsOnlyAfter) lines.push(`Permission only on ${doc.after.server}: ${p.identity} ${p.deny ? 'Deny' : 'Allow'} ${p.user} ${p.extendedRights.join(', ')}`);
  return `${lines.join('\n')}\n`;
}
