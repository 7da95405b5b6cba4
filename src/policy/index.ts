// The policy index: the one engine behind replay, sandbox, audit, diff, report and postfix.
// Built once per snapshot; connector selection is a binary search over a precomputed
// partition of the address space (reference §4.2), never a scan of connectors or addresses.
import type { AcceptedDomain, ExchangeServer, IpRange, Permission, ReceiveConnector, Snapshot, TransportRole } from '../model.js';
import {
  type Family, type Interval, formatAddress, intervalSize, isWildcardAddress, parseAddress, parseIpv4Number, tryRangeInterval,
  wildcardAddress,
} from './ip.js';

export interface Endpoint {
  server: string;
  port: number;
  /**
   * The server address the client connects to. null/absent: "any address the port is bound
   * on" — resolved by {@link resolveLocalAddress}. `0.0.0.0` / `::` mean an address of that
   * family that no connector binds specifically (only wildcard bindings compete).
   */
  localAddress?: string | null;
}

/** How a connector won: the range that matched and whether through an exact or wildcard binding. */
export interface Selection {
  // Shared between lookups (one object per winning interval): read-only.
  readonly connector: ReceiveConnector;
  readonly range: IpRange;
  readonly interval: Interval;
  readonly size: bigint;
  readonly binding: 'exact' | 'wildcard';
  /** The local address the decision was made for (resolved when the endpoint had none). */
  readonly localAddress: string;
}

export interface WonInterval {
  family: Family;
  first: bigint;
  last: bigint;
  connector: ReceiveConnector;
  port: number;
  localAddress: string;
  /** The connector's remote range that wins this interval (smallest matching). */
  range: IpRange;
  binding: 'exact' | 'wildcard';
}

interface RangeEntry { interval: Interval; range: IpRange; size: bigint }
interface ConnectorEntry {
  connector: ReceiveConnector;
  order: number;
  role: TransportRole;
  ranges: Record<Family, RangeEntry[]>;
}
interface Winner { entry: ConnectorEntry; range: RangeEntry; binding: 'exact' | 'wildcard' }
interface Segment { first: bigint; last: bigint; win: Winner; selection?: Selection }

/** Elementary intervals of one (server, port, local address, family), sorted, gaps omitted. */
interface Partition {
  family: Family;
  localAddress: string;
  port: number;
  segments: Segment[];
  /** IPv4 only: segment starts and ends as doubles (exact below 2^53) for a fast binary search. */
  starts4: Float64Array | null;
  lasts4: Float64Array | null;
  /** false: no enabled connector binds this port and address (nothing listens). */
  listening: boolean;
  /** Segments per winning connector, built on first use by intervalsWonBy. */
  byConnector: Map<ReceiveConnector, Segment[]> | null;
}

// Which transport service listens when both roles bind the same socket (a state Exchange
// refuses to create, reference §4.4; one of the two services fails to start). Default owners
// are those of reference §4.1.
// UNSURE(reference): which service keeps the socket in such a conflict is not documented; we
// give it to the role that owns the port by default, and to Front End for other ports.
const DEFAULT_PORT_OWNER: Record<number, TransportRole> = {
  25: 'FrontendTransport', 587: 'FrontendTransport', 717: 'FrontendTransport',
  2525: 'HubTransport', 465: 'HubTransport', 475: 'HubTransport',
};

export class PolicyIndex {
  readonly snapshot: Snapshot;
  /** Data the engine had to skip (e.g. a range that is not an address range), for reporting. */
  readonly problems: string[] = [];
  /** @internal */ tieCount = 0;
  /** @internal */ readonly connectorsByServer = new Map<string, ConnectorEntry[]>();
  /** @internal */ readonly entries = new Map<ReceiveConnector, ConnectorEntry>();
  /** @internal */ readonly serversByName = new Map<string, ExchangeServer>();
  /** @internal */ readonly permissionsByIdentity = new Map<string, Permission[]>();
  /** @internal */ readonly partitions = new Map<string, Partition>();
  /** @internal */ readonly partitionsByRaw = new Map<string, Partition | null>();
  /** @internal */ readonly defaultLocals = new Map<string, string | null>();
  /** @internal */ readonly endpointPartitions = new Map<string, Map<number, Map<string, Partition | null>>>();
  /** @internal */ readonly caches = new Map<string, unknown>();
  /** @internal */ readonly acceptedDomains: AcceptedDomain[];

  constructor(snapshot: Snapshot) {
    this.snapshot = snapshot;
    this.acceptedDomains = snapshot.acceptedDomains;
    for (const s of snapshot.servers) {
      const key = s.name.toLowerCase();
      if (!this.serversByName.has(key)) this.serversByName.set(key, s);
    }
    snapshot.connectors.forEach((connector, order) => {
      const ranges: Record<Family, RangeEntry[]> = { 4: [], 6: [] };
      for (const range of connector.remoteIPRanges) {
        const interval = tryRangeInterval(range);
        if (interval === null) {
          this.problems.push(`${connector.identity}: remote range "${range.expression}" is not an address range; ignored`);
          continue;
        }
        ranges[interval.family].push({ interval, range, size: intervalSize(interval) });
      }
      const entry: ConnectorEntry = { connector, order, role: connector.transportRole ?? 'HubTransport', ranges };
      this.entries.set(connector, entry);
      const key = connector.server.toLowerCase();
      const list = this.connectorsByServer.get(key);
      if (list === undefined) this.connectorsByServer.set(key, [entry]); else list.push(entry);
    });
    for (const p of snapshot.permissions) {
      const key = p.identity.toLowerCase();
      const list = this.permissionsByIdentity.get(key);
      if (list === undefined) this.permissionsByIdentity.set(key, [p]); else list.push(p);
    }
  }

  /** @internal per-connector memo (session rights sets, EHLO lists): object keys, no string building */
  readonly connectorMemo = new Map<ReceiveConnector, Map<string, unknown>>();

  /** @internal */
  memoFor<T>(connector: ReceiveConnector, key: string, make: () => T): T {
    const m = this.memoMap(connector);
    if (m.has(key)) return m.get(key) as T;
    const value = make();
    m.set(key, value);
    return value;
  }

  /** @internal the per-connector memo map itself (hot paths use get/set without closures) */
  memoMap(connector: ReceiveConnector): Map<string, unknown> {
    let m = this.connectorMemo.get(connector);
    if (m === undefined) { m = new Map(); this.connectorMemo.set(connector, m); }
    return m;
  }

  /** @internal memo shared by the policy modules (rights, domains) */
  memo<T>(key: string, make: () => T): T {
    if (this.caches.has(key)) return this.caches.get(key) as T;
    const value = make();
    this.caches.set(key, value);
    return value;
  }
}

const built = new WeakMap<Snapshot, PolicyIndex>();

/**
 * Builds (once per snapshot object) the indexes every analysis shares. The snapshot is treated
 * as immutable from then on: to change it, build a new snapshot object (e.g. `{ ...s, permissions: [...] }`).
 */
export function buildPolicy(snapshot: Snapshot): PolicyIndex {
  let policy = built.get(snapshot);
  if (policy === undefined) {
    policy = new PolicyIndex(snapshot);
    built.set(snapshot, policy);
  }
  return policy;
}

export function serverOf(policy: PolicyIndex, name: string): ExchangeServer | undefined {
  return policy.serversByName.get(name.toLowerCase());
}

/** Names of the servers known to the snapshot: from `servers` and from connectors' `server`. */
export function serverNames(policy: PolicyIndex): string[] {
  const names = new Map<string, string>();
  for (const s of policy.snapshot.servers) names.set(s.name.toLowerCase(), s.name);
  for (const c of policy.snapshot.connectors) if (!names.has(c.server.toLowerCase())) names.set(c.server.toLowerCase(), c.server);
  return [...names.values()];
}

/** The enabled connectors of a server, in export order. */
export function connectorsOf(policy: PolicyIndex, server: string): ReceiveConnector[] {
  return (policy.connectorsByServer.get(server.toLowerCase()) ?? []).map((e) => e.connector);
}

/** Ports bound by at least one enabled connector of the server, ascending. */
export function portsOf(policy: PolicyIndex, server: string): number[] {
  const ports = new Set<number>();
  for (const e of policy.connectorsByServer.get(server.toLowerCase()) ?? []) {
    if (!e.connector.enabled) continue;
    for (const b of e.connector.bindings) ports.add(b.port);
  }
  return [...ports].sort((a, b) => a - b);
}

function bindingFamily(address: string): Family | null {
  const parsed = parseAddress(address);
  return parsed === null ? null : parsed.family;
}

function sameAddress(a: string, b: string): boolean {
  if (a === b) return true;
  const pa = parseAddress(a);
  const pb = parseAddress(b);
  return pa !== null && pb !== null && pa.family === pb.family && pa.value === pb.value;
}

/**
 * Resolves an endpoint without a local address for a client of `family`: a wildcard-bound
 * port means "an address no connector binds specifically"; a port bound only to specific
 * addresses means the lowest of them. null when nothing of that family listens on the port.
 */
export function resolveLocalAddress(policy: PolicyIndex, endpoint: Endpoint, family: Family): string | null {
  if (endpoint.localAddress !== undefined && endpoint.localAddress !== null) {
    const parsed = parseAddress(endpoint.localAddress);
    return parsed === null ? null : formatAddress(parsed.family, parsed.value);
  }
  const key = `${endpoint.server.toLowerCase()}|${endpoint.port}|${family}`;
  const cached = policy.defaultLocals.get(key);
  if (cached !== undefined) return cached;
  let specific: { value: bigint; text: string } | null = null;
  let result: string | null = null;
  outer: for (const e of policy.connectorsByServer.get(endpoint.server.toLowerCase()) ?? []) {
    if (!e.connector.enabled) continue;
    for (const b of e.connector.bindings) {
      if (b.port !== endpoint.port) continue;
      const parsed = parseAddress(b.address);
      if (parsed === null || parsed.family !== family) continue;
      if (parsed.value === 0n) { result = wildcardAddress(family); break outer; }
      if (specific === null || parsed.value < specific.value) specific = { value: parsed.value, text: formatAddress(family, parsed.value) };
    }
  }
  if (result === null && specific !== null) result = specific.text;
  policy.defaultLocals.set(key, result);
  return result;
}

function partitionFor(policy: PolicyIndex, server: string, port: number, localAddress: string): Partition | null {
  const rawKey = `${server}|${port}|${localAddress}`;
  const hit = policy.partitionsByRaw.get(rawKey);
  if (hit !== undefined) return hit;
  const partition = partitionForParsed(policy, server, port, localAddress);
  policy.partitionsByRaw.set(rawKey, partition);
  return partition;
}

function partitionForParsed(policy: PolicyIndex, server: string, port: number, localAddress: string): Partition | null {
  const local = parseAddress(localAddress);
  if (local === null) return null;
  const localText = formatAddress(local.family, local.value);
  const key = `${server.toLowerCase()}|${port}|${localText}`;
  let partition = policy.partitions.get(key);
  if (partition === undefined) {
    partition = buildPartition(policy, server, port, local.family, local.value, localText);
    policy.partitions.set(key, partition);
  }
  return partition;
}

function buildPartition(policy: PolicyIndex, server: string, port: number, family: Family, local: bigint, localText: string): Partition {
  const exact: ConnectorEntry[] = [];
  const wildcard: ConnectorEntry[] = [];
  const roles = new Set<TransportRole>();
  for (const e of policy.connectorsByServer.get(server.toLowerCase()) ?? []) {
    if (!e.connector.enabled) continue; // disabled connectors are ignored at runtime (§4.2)
    let isExact = false;
    let isWildcard = false;
    for (const b of e.connector.bindings) {
      if (b.port !== port) continue;
      const parsed = parseAddress(b.address);
      if (parsed === null || parsed.family !== family) continue;
      if (parsed.value === 0n) isWildcard = true;
      else if (parsed.value === local) isExact = true;
    }
    if (isExact) exact.push(e);
    if (isWildcard) wildcard.push(e);
    if (isExact || isWildcard) roles.add(e.role);
  }
  const listening = roles.size > 0;
  // §4.1: the connection goes to the service listening on (local IP, port); connectors of
  // the other role are never candidates.
  let owner: TransportRole | null = null;
  if (roles.size === 1) owner = [...roles][0] ?? null;
  else if (roles.size > 1) owner = DEFAULT_PORT_OWNER[port] ?? 'FrontendTransport';
  const where = `${server} port ${port} local ${localText}`;
  const bestX = smallestRangePartition(exact.filter((e) => e.role === owner), family, 'exact', (m) => reportTie(policy, where, m));
  const bestW = smallestRangePartition(wildcard.filter((e) => e.role === owner), family, 'wildcard', (m) => reportTie(policy, where, m));
  // §4.2: bestW wins only if its range is strictly smaller than bestX's; otherwise bestX.
  const segments = overlay(bestX, bestW, (x, w) => {
    if (x === null) return w;
    if (w === null) return x;
    return w.range.size < x.range.size ? w : x;
  });
  let starts4: Float64Array | null = null;
  let lasts4: Float64Array | null = null;
  if (family === 4) {
    starts4 = new Float64Array(segments.length);
    lasts4 = new Float64Array(segments.length);
    for (let i = 0; i < segments.length; i++) {
      starts4[i] = Number((segments[i] as Segment).first);
      lasts4[i] = Number((segments[i] as Segment).last);
    }
  }
  return { family, localAddress: localText, port, segments, starts4, lasts4, listening, byConnector: null };
}

// Min-heap of candidate ranges ordered by (size, connector order, range order): the smallest
// matching range wins; equal sizes go to the connector met first (export order stands in
// for AD enumeration order, reference §4.2).
interface HeapItem { last: bigint; size: bigint; order: number; sub: number; win: Winner }
function less(a: HeapItem, b: HeapItem): boolean {
  if (a.size !== b.size) return a.size < b.size;
  if (a.order !== b.order) return a.order < b.order;
  return a.sub < b.sub;
}
class Heap {
  private readonly items: HeapItem[] = [];
  get size(): number { return this.items.length; }
  peek(): HeapItem | undefined { return this.items[0]; }
  push(item: HeapItem): void {
    const a = this.items;
    a.push(item);
    let i = a.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = a[parent] as HeapItem;
      if (!less(item, p)) break;
      a[i] = p;
      i = parent;
    }
    a[i] = item;
  }
  pop(): void {
    const a = this.items;
    const last = a.pop();
    if (last === undefined || a.length === 0) return;
    let i = 0;
    const n = a.length;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      let c = l;
      if (r < n && less(a[r] as HeapItem, a[l] as HeapItem)) c = r;
      if (!less(a[c] as HeapItem, last)) break;
      a[i] = a[c] as HeapItem;
      i = c;
    }
    a[i] = last;
  }
}

/** Sweep line: the address space partitioned by the smallest containing range. O(n log n). */
const MAX_TIE_REPORTS = 100;
function reportTie(policy: PolicyIndex, where: string, message: string): void {
  policy.tieCount++;
  if (policy.tieCount <= MAX_TIE_REPORTS) policy.problems.push(`${where}: ${message}`);
  else if (policy.tieCount === MAX_TIE_REPORTS + 1) policy.problems.push('more equal-range ties not listed');
}

function smallestRangePartition(entries: ConnectorEntry[], family: Family, binding: 'exact' | 'wildcard', onTie: (message: string) => void): Segment[] {
  const items: Array<{ first: bigint; item: HeapItem }> = [];
  for (const e of entries) {
    const ranges = e.ranges[family];
    for (let sub = 0; sub < ranges.length; sub++) {
      const r = ranges[sub] as RangeEntry;
      items.push({ first: r.interval.first, item: { last: r.interval.last, size: r.size, order: e.order, sub, win: { entry: e, range: r, binding } } });
    }
  }
  if (items.length === 0) return [];
  items.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.item.last < b.item.last ? -1 : a.item.last > b.item.last ? 1 : a.item.order - b.item.order));
  // §4.2: equal matching ranges in one binding set are a state Exchange refuses (§4.4); the
  // connector exported first wins here, and the state is reported.
  for (let k = 1; k < items.length; k++) {
    const a = items[k - 1] as { first: bigint; item: HeapItem };
    const b = items[k] as { first: bigint; item: HeapItem };
    if (a.first === b.first && a.item.last === b.item.last && a.item.win.entry !== b.item.win.entry) {
      onTie(`${a.item.win.entry.connector.identity} and ${b.item.win.entry.connector.identity} both have range `
        + `${a.item.win.range.range.expression} (${binding} binding); the first exported wins`);
    }
  }
  const heap = new Heap();
  const out: Segment[] = [];
  let i = 0;
  let cursor = (items[0] as { first: bigint }).first;
  const emit = (first: bigint, last: bigint, win: Winner): void => {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.win === win && prev.last + 1n === first) prev.last = last;
    else out.push({ first, last, win });
  };
  while (i < items.length || heap.size > 0) {
    // Drop ranges that ended before the cursor (lazy deletion: only the top matters).
    let top = heap.peek();
    while (top !== undefined && top.last < cursor) { heap.pop(); top = heap.peek(); }
    if (top === undefined) {
      if (i >= items.length) break;
      cursor = (items[i] as { first: bigint }).first;
    }
    while (i < items.length && (items[i] as { first: bigint }).first === cursor) { heap.push((items[i] as { item: HeapItem }).item); i++; }
    top = heap.peek();
    if (top === undefined) continue;
    // The winner holds until the next start or until it ends, whichever comes first.
    const nextStart = i < items.length ? (items[i] as { first: bigint }).first : null;
    let end = top.last;
    if (nextStart !== null && nextStart - 1n < end) end = nextStart - 1n;
    emit(cursor, end, top.win);
    cursor = end + 1n;
  }
  return out;
}

/** Combines two partitions boundary by boundary with `choose`. */
function overlay(a: Segment[], b: Segment[], choose: (x: Winner | null, y: Winner | null) => Winner | null): Segment[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: Segment[] = [];
  let i = 0;
  let j = 0;
  let cursor: bigint | null = null;
  const emit = (first: bigint, last: bigint, win: Winner | null): void => {
    if (win === null) return;
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.win === win && prev.last + 1n === first) prev.last = last;
    else out.push({ first, last, win });
  };
  while (i < a.length || j < b.length) {
    const sa = a[i];
    const sb = b[j];
    const startA = sa === undefined ? null : (cursor !== null && cursor > sa.first ? cursor : sa.first);
    const startB = sb === undefined ? null : (cursor !== null && cursor > sb.first ? cursor : sb.first);
    const start = startA === null ? (startB as bigint) : startB === null ? startA : (startA < startB ? startA : startB);
    const inA = sa !== undefined && startA === start;
    const inB = sb !== undefined && startB === start;
    let end: bigint;
    if (inA && inB) end = sa.last < sb.last ? sa.last : sb.last;
    else if (inA) end = sb !== undefined && (startB as bigint) - 1n < sa.last ? (startB as bigint) - 1n : sa.last;
    else end = sa !== undefined && (startA as bigint) - 1n < (sb as Segment).last ? (startA as bigint) - 1n : (sb as Segment).last;
    emit(start, end, choose(inA ? sa.win : null, inB ? (sb as Segment).win : null));
    cursor = end + 1n;
    if (sa !== undefined && sa.last < cursor) i++;
    if (sb !== undefined && sb.last < cursor) j++;
  }
  return out;
}

function findSegment4(partition: Partition, v4: number): Segment | null {
  const starts = partition.starts4;
  const lasts = partition.lasts4;
  if (starts === null || lasts === null) return null;
  let lo = 0;
  let hi = starts.length - 1;
  let hit = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid] as number) <= v4) { hit = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (hit < 0 || v4 > (lasts[hit] as number)) return null;
  return partition.segments[hit] ?? null;
}

function findSegment(partition: Partition, value: bigint): Segment | null {
  const segs = partition.segments;
  let lo = 0;
  let hi = segs.length - 1;
  let hit = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((segs[mid] as Segment).first <= value) { hit = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (hit < 0) return null;
  const seg = segs[hit] as Segment;
  return value <= seg.last ? seg : null;
}

/** The partition an endpoint uses for a client of `family` (cached per endpoint). */
function endpointPartition(policy: PolicyIndex, endpoint: Endpoint, family: Family): Partition | null {
  // Nested maps keyed by the raw values: no key string is built per lookup.
  let byPort = policy.endpointPartitions.get(endpoint.server);
  if (byPort === undefined) { byPort = new Map(); policy.endpointPartitions.set(endpoint.server, byPort); }
  let byLocal = byPort.get(endpoint.port);
  if (byLocal === undefined) { byLocal = new Map(); byPort.set(endpoint.port, byLocal); }
  const local = endpoint.localAddress ?? null;
  const key = local === null ? (family === 4 ? '*4' : '*6') : local;
  const cached = byLocal.get(key);
  if (cached !== undefined) return cached;
  const resolved = resolveLocalAddress(policy, endpoint, family);
  const partition = resolved === null ? null : partitionFor(policy, endpoint.server, endpoint.port, resolved);
  byLocal.set(key, partition);
  return partition;
}

/**
 * Reference §4.2 with the selection explained: which connector, through which range and
 * binding. null = no connector (Exchange answers `421 4.3.2 Service not available`, or nothing
 * listens on the port at all — see {@link isListening}).
 */
export function selectConnectorDetailed(policy: PolicyIndex, endpoint: Endpoint, remoteAddress: string): Selection | null {
  let v4 = parseIpv4Number(remoteAddress);
  let family: Family = 4;
  let value = 0n;
  if (v4 === null) {
    const remote = parseAddress(remoteAddress);
    if (remote === null) return null;
    family = remote.family;
    value = remote.value;
    if (family === 4) v4 = Number(value);
  }
  const partition = endpointPartition(policy, endpoint, family);
  // An IPv4 client cannot reach an IPv6 local address and vice versa: no range of the other
  // family ever matches (§4.3 example 7).
  if (partition === null || partition.family !== family) return null;
  const seg = v4 !== null ? findSegment4(partition, v4) : findSegment(partition, value);
  if (seg === null) return null;
  // The answer depends only on the segment: built once, shared (callers must not mutate it).
  seg.selection ??= Object.freeze({
    connector: seg.win.entry.connector, range: seg.win.range.range, interval: seg.win.range.interval,
    size: seg.win.range.size, binding: seg.win.binding, localAddress: partition.localAddress,
  });
  return seg.selection;
}

// Exchange picks the most specific remote range, not the first match: a /32 beats a /24.
export function selectConnector(policy: PolicyIndex, endpoint: Endpoint, remoteAddress: string): ReceiveConnector | null {
  return selectConnectorDetailed(policy, endpoint, remoteAddress)?.connector ?? null;
}

/** Whether some enabled connector of the server binds this port (and local address) for the client's family. */
export function isListening(policy: PolicyIndex, endpoint: Endpoint, remoteAddress: string): boolean {
  const remote = parseAddress(remoteAddress);
  if (remote === null) return false;
  const local = resolveLocalAddress(policy, endpoint, remote.family);
  if (local === null) return false;
  const partition = partitionFor(policy, endpoint.server, endpoint.port, local);
  return partition !== null && partition.listening;
}

function toWon(partition: Partition, seg: Segment): WonInterval {
  return {
    family: partition.family, first: seg.first, last: seg.last, connector: seg.win.entry.connector,
    port: partition.port, localAddress: partition.localAddress, range: seg.win.range.range, binding: seg.win.binding,
  };
}

/**
 * The address space for one endpoint partitioned by the connector that wins it (gaps with no
 * connector omitted), in address order. A null local address gives both families, each
 * resolved as {@link resolveLocalAddress} does.
 */
export function winningIntervals(policy: PolicyIndex, endpoint: Required<Endpoint>): WonInterval[] {
  const locals: string[] = [];
  if (endpoint.localAddress !== null) locals.push(endpoint.localAddress);
  else {
    for (const family of [4, 6] as const) {
      const local = resolveLocalAddress(policy, endpoint, family);
      if (local !== null) locals.push(local);
    }
  }
  const out: WonInterval[] = [];
  for (const local of locals) {
    const partition = partitionFor(policy, endpoint.server, endpoint.port, local);
    if (partition === null) continue;
    for (const seg of partition.segments) out.push(toWon(partition, seg));
  }
  return out;
}

/**
 * Every interval a connector wins, over all of its bindings. A wildcard binding is evaluated
 * for a local address no other connector binds specifically — where it wins the most; an
 * exact binding for its own address. Disabled connectors win nothing.
 */
export function intervalsWonBy(policy: PolicyIndex, connector: ReceiveConnector): WonInterval[] {
  if (!connector.enabled) return [];
  const seen = new Set<string>();
  const out: WonInterval[] = [];
  for (const b of connector.bindings) {
    const family = bindingFamily(b.address);
    if (family === null) continue;
    const local = isWildcardAddress(b.address) ? wildcardAddress(family) : b.address;
    const partition = partitionFor(policy, connector.server, b.port, local);
    if (partition === null) continue;
    const key = `${b.port}|${partition.localAddress}`;
    if (seen.has(key)) continue;
    seen.add(key);
    if (partition.byConnector === null) {
      // One pass per partition, so listing every connector's intervals stays linear overall.
      const by = new Map<ReceiveConnector, Segment[]>();
      for (const seg of partition.segments) {
        const list = by.get(seg.win.entry.connector);
        if (list === undefined) by.set(seg.win.entry.connector, [seg]); else list.push(seg);
      }
      partition.byConnector = by;
    }
    for (const seg of partition.byConnector.get(connector) ?? []) out.push(toWon(partition, seg));
  }
  return out;
}

export { sameAddress };
export * from './ip.js';
export * from './rights.js';
export * from './accepted-domains.js';
