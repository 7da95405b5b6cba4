// The policy index: the one engine behind replay, sandbox, audit, diff, report and postfix.
// Built once per snapshot; connector selection is a binary search over a precomputed
// partition of the address space (reference §4.2), never a scan of connectors or addresses.
import type { AcceptedDomain, ExchangeServer, IpRange, Permission, ReceiveConnector, Snapshot, TransportRole } from '../model.js';
import {
  type Family, type Interval, formatAddress, intervalSize, isWildcardAddress, parseAddress, parseIpv4Number, tryRangeInterval,
  wildcardAddress,
} from '../net/index.js';

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
  /** The order of the entry holding this connector object (itself, unless the snapshot lists the object twice). */
  group: number;
  /** Ids of the connector's usable ranges in the policy's range table, per family, in range order. */
  ids4: number[];
  ids6: number[];
}

/**
 * Elementary intervals of one (server, port, local address, family), sorted, gaps omitted.
 * Segment k is [first, last] won by the range `wins[k] >> 1` of the range table, through an
 * exact (`wins[k] & 1 === 0`) or wildcard binding. IPv4 bounds are doubles (exact: < 2^32),
 * IPv6 bounds bigints.
 */
interface Partition {
  family: Family;
  localAddress: string;
  port: number;
  count: number;
  wins: Int32Array;
  first4: Float64Array | null;
  last4: Float64Array | null;
  first6: bigint[] | null;
  last6: bigint[] | null;
  /** false: no enabled connector binds this port and address (nothing listens). */
  listening: boolean;
  /** One frozen Selection per segment looked up, by segment index. */
  selections: Array<Selection | undefined> | null;
  /** IPv4: the start of every TOP_BLOCK-th segment, searched first (small, stays in cache). */
  top4: Float64Array | null;
  /** The segments as WonIntervals, made once (shared, read-only). */
  won: WonInterval[] | null;
  /** Segment indices grouped by winning connector (counting sort by group): `positions[offsets[g] .. offsets[g + 1])`. */
  byGroup: { offsets: Int32Array; positions: Int32Array } | null;
  /** WonIntervals per winning connector, made on first use by intervalsWonBy (shared, read-only). */
  byConnector: Map<ReceiveConnector, WonInterval[]> | null;
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
  /** @internal see preparePartitions */ partitionsPrepared = false;
  /** @internal */ readonly connectorsByServer = new Map<string, ConnectorEntry[]>();
  /** @internal */ readonly entries = new Map<ReceiveConnector, ConnectorEntry>();
  /** @internal */ readonly serversByName = new Map<string, ExchangeServer>();
  /** @internal */ readonly serversByRawName = new Map<string, ExchangeServer | undefined>();
  /** @internal */ readonly permissionsByIdentity = new Map<string, Permission[]>();
  /** @internal */ readonly partitions = new Map<string, Partition>();
  /** @internal */ readonly partitionsByRaw = new Map<string, Partition | null>();
  /** @internal */ readonly defaultLocals = new Map<string, string | null>();
  /** @internal */ readonly endpointPartitions = new Map<string, Map<number, Map<string, Partition | null>>>();
  /** @internal */ readonly caches = new Map<string, unknown>();
  /** @internal */ readonly acceptedDomains: AcceptedDomain[];
  /** @internal range table (see the constructor): owner, model range and IPv4 bounds per id */
  readonly rangeOwner: ConnectorEntry[] = [];
  /** @internal */ readonly rangeRaw: IpRange[] = [];
  /** @internal */ readonly rangeFirst4: Float64Array;
  /** @internal */ readonly rangeLast4: Float64Array;
  /** @internal bigint view of a range: made at import for IPv6, on first use for IPv4 */
  readonly rangeEntries = new Map<number, RangeEntry>();
  /** @internal IPv4 wildcard-binding sweeps per (server, port, owner role): every local address of the port shares it */
  readonly wildcardSweeps4 = new Map<string, { segments: Segments4; ties: string[] }>();

  constructor(snapshot: Snapshot) {
    this.snapshot = snapshot;
    this.acceptedDomains = snapshot.acceptedDomains;
    for (const s of snapshot.servers) {
      const key = s.name.toLowerCase();
      if (!this.serversByName.has(key)) this.serversByName.set(key, s);
    }
    // The range table: every usable remote range of every connector, numbered in export order
    // (connector, then range), so that one id orders ties as (connector order, range order).
    // IPv4 bounds are kept as doubles: no bigint or object per range (estates carry millions).
    let total = 0;
    for (const c of snapshot.connectors) total += c.remoteIPRanges.length;
    this.rangeFirst4 = new Float64Array(total);
    this.rangeLast4 = new Float64Array(total);
    let id = 0;
    snapshot.connectors.forEach((connector, order) => {
      const entry: ConnectorEntry = { connector, order, group: order, role: connector.transportRole ?? 'HubTransport', ids4: [], ids6: [] };
      for (const range of connector.remoteIPRanges) {
        // Same decision as tryRangeInterval, without its bigints for the common IPv4 case.
        let f4 = parseIpv4Number(range.first);
        let l4 = f4 === null ? null : range.last === range.first ? f4 : parseIpv4Number(range.last);
        if (f4 === null || l4 === null) {
          const interval = tryRangeInterval(range);
          if (interval === null) {
            this.problems.push(`${connector.identity}: remote range "${range.expression}" is not an address range; ignored`);
            continue;
          }
          if (interval.family === 6) {
            this.rangeEntries.set(id, { interval, range, size: intervalSize(interval) });
            this.rangeOwner.push(entry);
            this.rangeRaw.push(range);
            entry.ids6.push(id++);
            continue;
          }
          f4 = Number(interval.first);
          l4 = Number(interval.last);
        } else if (f4 > l4) {
          this.problems.push(`${connector.identity}: remote range "${range.expression}" is not an address range; ignored`);
          continue;
        }
        this.rangeFirst4[id] = f4;
        this.rangeLast4[id] = l4;
        this.rangeOwner.push(entry);
        this.rangeRaw.push(range);
        entry.ids4.push(id++);
      }
      this.entries.set(connector, entry);
      const key = connector.server.toLowerCase();
      const list = this.connectorsByServer.get(key);
      if (list === undefined) this.connectorsByServer.set(key, [entry]); else list.push(entry);
    });
    for (const list of this.connectorsByServer.values()) for (const e of list) e.group = this.entries.get(e.connector)?.order ?? e.order;
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
  // Memo by the name as given: replay asks once per scenario, and lower-casing allocates.
  const raw = policy.serversByRawName;
  if (raw.has(name)) return raw.get(name);
  const server = policy.serversByName.get(name.toLowerCase());
  raw.set(name, server);
  return server;
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
  const onTie = (m: string): void => reportTie(policy, where, m);
  const exactOwned = exact.filter((e) => e.role === owner);
  const wildcardOwned = wildcard.filter((e) => e.role === owner);
  const partition: Partition = {
    family, localAddress: localText, port, count: 0, wins: EMPTY_WINS, first4: null, last4: null, first6: null, last6: null,
    listening, selections: null, top4: null, won: null, byGroup: null, byConnector: null,
  };
  // §4.2: the wildcard winner wins only if its range is strictly smaller than the exact one's.
  if (family === 4) {
    const bestX = smallestRangePartition4(policy, exactOwned, EXACT, onTie);
    // The wildcard candidates do not depend on the local address: one sweep per (server, port,
    // owner), its ties reported again for each partition as a fresh sweep would.
    const key = `${server.toLowerCase()}|${port}|${owner ?? ''}`;
    let shared = policy.wildcardSweeps4.get(key);
    if (shared === undefined) {
      const ties: string[] = [];
      shared = { segments: smallestRangePartition4(policy, wildcardOwned, WILDCARD, (m) => ties.push(m)), ties };
      policy.wildcardSweeps4.set(key, shared);
    }
    for (const m of shared.ties) onTie(m);
    const bestW = shared.segments;
    const segments = overlay4(policy, bestX, bestW);
    partition.count = segments.count;
    partition.wins = segments.wins;
    partition.first4 = segments.first;
    partition.last4 = segments.last;
    const top = new Float64Array(Math.ceil(segments.count / TOP_BLOCK));
    for (let b = 0; b < top.length; b++) top[b] = segments.first[b * TOP_BLOCK] as number;
    partition.top4 = top;
  } else {
    const bestX = smallestRangePartition6(policy, exactOwned, EXACT, onTie);
    const bestW = smallestRangePartition6(policy, wildcardOwned, WILDCARD, onTie);
    const segments = overlay6(policy, bestX, bestW);
    partition.count = segments.wins.length;
    partition.wins = Int32Array.from(segments.wins);
    partition.first6 = segments.first;
    partition.last6 = segments.last;
  }
  return partition;
}

// A winner is one range of one binding set: its id in the range table, times two, plus the
// binding set (0 exact, 1 wildcard). Equal codes = the same candidate, as the sweep merges them.
const EXACT = 0;
const WILDCARD = 1;
const EMPTY_WINS = new Int32Array(0);
const bindingOf = (code: number): 'exact' | 'wildcard' => ((code & 1) === WILDCARD ? 'wildcard' : 'exact');
const bindingName = (bit: number): string => (bit === WILDCARD ? 'wildcard' : 'exact');

/** The bigint view of a range (made once per range; IPv6 ones exist from the start). */
function rangeEntry(policy: PolicyIndex, id: number): RangeEntry {
  let entry = policy.rangeEntries.get(id);
  if (entry === undefined) {
    const f4 = policy.rangeFirst4[id] as number;
    const l4 = policy.rangeLast4[id] as number;
    const first = BigInt(f4);
    const interval: Interval = { family: 4, first, last: l4 === f4 ? first : BigInt(l4) };
    entry = { interval, range: policy.rangeRaw[id] as IpRange, size: intervalSize(interval) };
    policy.rangeEntries.set(id, entry);
  }
  return entry;
}

/** Sweep line: the address space partitioned by the smallest containing range. O(n log n). */
const MAX_TIE_REPORTS = 100;
function reportTie(policy: PolicyIndex, where: string, message: string): void {
  policy.tieCount++;
  if (policy.tieCount <= MAX_TIE_REPORTS) policy.problems.push(`${where}: ${message}`);
  else if (policy.tieCount === MAX_TIE_REPORTS + 1) policy.problems.push('more equal-range ties not listed');
}

function tieMessage(policy: PolicyIndex, a: number, b: number, bit: number): string {
  // §4.2: equal matching ranges in one binding set are a state Exchange refuses (§4.4); the
  // connector exported first wins here, and the state is reported.
  return `${(policy.rangeOwner[a] as ConnectorEntry).connector.identity} and ${(policy.rangeOwner[b] as ConnectorEntry).connector.identity} both have range `
    + `${(policy.rangeRaw[a] as IpRange).expression} (${bindingName(bit)} binding); the first exported wins`;
}

/** IPv4 segments in parallel arrays (bounds as doubles, winner codes). */
interface Segments4 { count: number; first: Float64Array; last: Float64Array; wins: Int32Array }
const NO_SEGMENTS4: Segments4 = { count: 0, first: new Float64Array(0), last: new Float64Array(0), wins: EMPTY_WINS };

// Scratch buffers shared by every IPv4 sweep (the engine is synchronous: one sweep at a time).
// Reusing them instead of allocating per partition keeps large estates from churning through
// hundreds of MB of short-lived typed arrays, which V8 answers with full collections.
const scratchF64: Float64Array[] = [];
const scratchI32: Int32Array[] = [];
function f64(slot: number, n: number): Float64Array {
  const a = scratchF64[slot];
  if (a !== undefined && a.length >= n) return a;
  const b = new Float64Array(Math.max(n, 2 * (a?.length ?? 0), 1024));
  scratchF64[slot] = b;
  return b;
}
function i32(slot: number, n: number): Int32Array {
  const a = scratchI32[slot];
  if (a !== undefined && a.length >= n) return a;
  const b = new Int32Array(Math.max(n, 2 * (a?.length ?? 0), 1024));
  scratchI32[slot] = b;
  return b;
}
// Slots: F64 0-2 items (first, last, size), 4-5 output bounds; I32 0-1 ids and merge sort, 2 heap, 3 output wins, 4 groups.

/** Output of the IPv4 sweep and overlay, in scratch; `emit` merges a piece into the previous one when the same code continues it. */
class Segments4Builder {
  count = 0;
  first: Float64Array;
  last: Float64Array;
  wins: Int32Array;
  constructor(capacity: number) {
    this.first = f64(4, capacity);
    this.last = f64(5, capacity);
    this.wins = i32(3, capacity);
  }
  emit(first: number, last: number, code: number): void {
    const k = this.count;
    if (k > 0 && this.wins[k - 1] === code && (this.last[k - 1] as number) + 1 === first) { this.last[k - 1] = last; return; }
    this.first[k] = first;
    this.last[k] = last;
    this.wins[k] = code;
    this.count = k + 1;
  }
  /** The segments copied out of scratch. */
  done(): Segments4 {
    const n = this.count;
    return { count: n, first: this.first.slice(0, n), last: this.last.slice(0, n), wins: this.wins.slice(0, n) };
  }
}

/**
 * Sorts `ids[0..n)` (ascending ids) by (first, last, id): a stable natural merge sort — a
 * connector's list is usually written in address order, so the input is a few sorted runs
 * (O(n log runs)), and stability keeps equal ranges in id order. The result is in scratch.
 */
function sortRanges4(F: Float64Array, L: Float64Array, ids: Int32Array, n: number): Int32Array {
  const after = (a: number, b: number): boolean => {
    const fa = F[a] as number;
    const fb = F[b] as number;
    return fa > fb || (fa === fb && (L[a] as number) > (L[b] as number));
  };
  const bounds: number[] = [0];
  for (let i = 1; i < n; i++) if (after(ids[i - 1] as number, ids[i] as number)) bounds.push(i);
  bounds.push(n);
  if (bounds.length === 2) return ids;
  let src = ids;
  let dst = i32(1, n);
  let runs = bounds;
  while (runs.length > 2) {
    const next: number[] = [0];
    for (let r = 0; r + 1 < runs.length; r += 2) {
      const lo = runs[r] as number;
      const mid = runs[r + 1] as number;
      const hi = r + 2 < runs.length ? runs[r + 2] as number : mid;
      let i = lo;
      let j = mid;
      let k = lo;
      // Stable: on equal keys the left run (smaller ids) goes first.
      while (i < mid && j < hi) dst[k++] = after(src[i] as number, src[j] as number) ? src[j++] as number : src[i++] as number;
      while (i < mid) dst[k++] = src[i++] as number;
      while (j < hi) dst[k++] = src[j++] as number;
      next.push(hi);
    }
    runs = next;
    const t = src;
    src = dst;
    dst = t;
  }
  return src;
}

/**
 * IPv4 sweep over the ranges of `entries` (one binding set): the address space partitioned by
 * the smallest containing range; equal sizes go to the connector met first (export order stands
 * in for AD enumeration order, reference §4.2), then to the range listed first.
 */
function smallestRangePartition4(policy: PolicyIndex, entries: ConnectorEntry[], bit: number, onTie: (message: string) => void): Segments4 {
  let n = 0;
  for (const e of entries) n += e.ids4.length;
  if (n === 0) return NO_SEGMENTS4;
  const F = policy.rangeFirst4;
  const L = policy.rangeLast4;
  // Ids in (connector order, range order) = ascending id order.
  const ids = i32(0, n);
  let k = 0;
  for (const e of entries) for (const id of e.ids4) ids[k++] = id;
  const sorted = sortRanges4(F, L, ids, n);
  for (let i = 1; i < n; i++) {
    const a = sorted[i - 1] as number;
    const b = sorted[i] as number;
    if (F[a] === F[b] && L[a] === L[b] && policy.rangeOwner[a] !== policy.rangeOwner[b]) onTie(tieMessage(policy, a, b, bit));
  }
  // Items in sweep order; the heap holds item positions, ordered by (size, id).
  const itemFirst = f64(0, n);
  const itemLast = f64(1, n);
  const itemSize = f64(2, n);
  for (let i = 0; i < n; i++) {
    const id = sorted[i] as number;
    itemFirst[i] = F[id] as number;
    itemLast[i] = L[id] as number;
    itemSize[i] = (L[id] as number) - (F[id] as number) + 1;
  }
  const less = (a: number, b: number): boolean => {
    const sa = itemSize[a] as number;
    const sb = itemSize[b] as number;
    return sa < sb || (sa === sb && (sorted[a] as number) < (sorted[b] as number));
  };
  const heap = i32(2, n);
  let size = 0;
  const push = (item: number): void => {
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = heap[parent] as number;
      if (!less(item, p)) break;
      heap[i] = p;
      i = parent;
    }
    heap[i] = item;
  };
  const pop = (): void => {
    const last = heap[--size] as number;
    if (size === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= size) break;
      const r = l + 1;
      let c = l;
      if (r < size && less(heap[r] as number, heap[l] as number)) c = r;
      if (!less(heap[c] as number, last)) break;
      heap[i] = heap[c] as number;
      i = c;
    }
    heap[i] = last;
  };
  // At most 2n pieces: every piece ends at a range's end or just before a range's start.
  const out = new Segments4Builder(2 * n + 1);
  let i = 0;
  let cursor = itemFirst[0] as number;
  while (i < n || size > 0) {
    // Drop ranges that ended before the cursor (lazy deletion: only the top matters).
    while (size > 0 && (itemLast[heap[0] as number] as number) < cursor) pop();
    if (size === 0) {
      if (i >= n) break;
      cursor = itemFirst[i] as number;
    }
    while (i < n && itemFirst[i] === cursor) push(i++);
    if (size === 0) continue;
    const top = heap[0] as number;
    // The winner holds until the next start or until it ends, whichever comes first.
    let end = itemLast[top] as number;
    if (i < n && (itemFirst[i] as number) - 1 < end) end = (itemFirst[i] as number) - 1;
    out.emit(cursor, end, (sorted[top] as number) * 2 + bit);
    cursor = end + 1;
  }
  return out.done();
}

/** Combines the exact and wildcard partitions boundary by boundary (§4.2: wildcard only if strictly smaller). */
function overlay4(policy: PolicyIndex, a: Segments4, b: Segments4): Segments4 {
  if (a.count === 0) return b;
  if (b.count === 0) return a;
  const F = policy.rangeFirst4;
  const L = policy.rangeLast4;
  const sizeOf = (code: number): number => (L[code >> 1] as number) - (F[code >> 1] as number) + 1;
  // Every step ends at a boundary of a or b: at most 2 (a.count + b.count) pieces.
  const out = new Segments4Builder(2 * (a.count + b.count) + 1);
  let i = 0;
  let j = 0;
  let cursor = -1;
  while (i < a.count || j < b.count) {
    const hasA = i < a.count;
    const hasB = j < b.count;
    const aFirst = hasA ? a.first[i] as number : 0;
    const aLast = hasA ? a.last[i] as number : 0;
    const bFirst = hasB ? b.first[j] as number : 0;
    const bLast = hasB ? b.last[j] as number : 0;
    const startA = cursor > aFirst ? cursor : aFirst;
    const startB = cursor > bFirst ? cursor : bFirst;
    const start = !hasA ? startB : !hasB ? startA : (startA < startB ? startA : startB);
    const inA = hasA && startA === start;
    const inB = hasB && startB === start;
    let end: number;
    if (inA && inB) end = aLast < bLast ? aLast : bLast;
    else if (inA) end = hasB && startB - 1 < aLast ? startB - 1 : aLast;
    else end = hasA && startA - 1 < bLast ? startA - 1 : bLast;
    const x = inA ? a.wins[i] as number : -1;
    const w = inB ? b.wins[j] as number : -1;
    const win = x < 0 ? w : w < 0 ? x : sizeOf(w) < sizeOf(x) ? w : x;
    if (win >= 0) out.emit(start, end, win);
    cursor = end + 1;
    if (hasA && aLast < cursor) i++;
    if (hasB && bLast < cursor) j++;
  }
  return out.done();
}

/** IPv6 segments: bigint bounds (IPv6 ranges are few; the IPv4 path is the one tuned). */
interface Segments6 { first: bigint[]; last: bigint[]; wins: number[] }

function emit6(out: Segments6, first: bigint, last: bigint, code: number): void {
  const k = out.wins.length - 1;
  if (k >= 0 && out.wins[k] === code && (out.last[k] as bigint) + 1n === first) { out.last[k] = last; return; }
  out.first.push(first);
  out.last.push(last);
  out.wins.push(code);
}

// Min-heap of candidate ranges ordered by (size, id): the smallest matching range wins; equal
// sizes go to the connector met first, then the range listed first (reference §4.2).
interface HeapItem { last: bigint; size: bigint; id: number }
function less6(a: HeapItem, b: HeapItem): boolean {
  if (a.size !== b.size) return a.size < b.size;
  return a.id < b.id;
}
class Heap6 {
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
      if (!less6(item, p)) break;
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
      if (r < n && less6(a[r] as HeapItem, a[l] as HeapItem)) c = r;
      if (!less6(a[c] as HeapItem, last)) break;
      a[i] = a[c] as HeapItem;
      i = c;
    }
    a[i] = last;
  }
}

function smallestRangePartition6(policy: PolicyIndex, entries: ConnectorEntry[], bit: number, onTie: (message: string) => void): Segments6 {
  const out: Segments6 = { first: [], last: [], wins: [] };
  const items: Array<{ first: bigint; item: HeapItem }> = [];
  for (const e of entries) {
    for (const id of e.ids6) {
      const r = rangeEntry(policy, id);
      items.push({ first: r.interval.first, item: { last: r.interval.last, size: r.size, id } });
    }
  }
  if (items.length === 0) return out;
  items.sort((a, b) => (a.first < b.first ? -1 : a.first > b.first ? 1 : a.item.last < b.item.last ? -1 : a.item.last > b.item.last ? 1 : a.item.id - b.item.id));
  for (let k = 1; k < items.length; k++) {
    const a = items[k - 1] as { first: bigint; item: HeapItem };
    const b = items[k] as { first: bigint; item: HeapItem };
    if (a.first === b.first && a.item.last === b.item.last && policy.rangeOwner[a.item.id] !== policy.rangeOwner[b.item.id]) {
      onTie(tieMessage(policy, a.item.id, b.item.id, bit));
    }
  }
  const heap = new Heap6();
  let i = 0;
  let cursor = (items[0] as { first: bigint }).first;
  while (i < items.length || heap.size > 0) {
    let top = heap.peek();
    while (top !== undefined && top.last < cursor) { heap.pop(); top = heap.peek(); }
    if (top === undefined) {
      if (i >= items.length) break;
      cursor = (items[i] as { first: bigint }).first;
    }
    while (i < items.length && (items[i] as { first: bigint }).first === cursor) { heap.push((items[i] as { item: HeapItem }).item); i++; }
    top = heap.peek();
    if (top === undefined) continue;
    const nextStart = i < items.length ? (items[i] as { first: bigint }).first : null;
    let end = top.last;
    if (nextStart !== null && nextStart - 1n < end) end = nextStart - 1n;
    emit6(out, cursor, end, top.id * 2 + bit);
    cursor = end + 1n;
  }
  return out;
}

function overlay6(policy: PolicyIndex, a: Segments6, b: Segments6): Segments6 {
  if (a.wins.length === 0) return b;
  if (b.wins.length === 0) return a;
  const sizeOf = (code: number): bigint => rangeEntry(policy, code >> 1).size;
  const out: Segments6 = { first: [], last: [], wins: [] };
  const na = a.wins.length;
  const nb = b.wins.length;
  let i = 0;
  let j = 0;
  let cursor: bigint | null = null;
  while (i < na || j < nb) {
    const hasA = i < na;
    const hasB = j < nb;
    const aFirst = a.first[i] as bigint;
    const aLast = a.last[i] as bigint;
    const bFirst = b.first[j] as bigint;
    const bLast = b.last[j] as bigint;
    const startA = !hasA ? null : (cursor !== null && cursor > aFirst ? cursor : aFirst);
    const startB = !hasB ? null : (cursor !== null && cursor > bFirst ? cursor : bFirst);
    const start = startA === null ? (startB as bigint) : startB === null ? startA : (startA < startB ? startA : startB);
    const inA = hasA && startA === start;
    const inB = hasB && startB === start;
    let end: bigint;
    if (inA && inB) end = aLast < bLast ? aLast : bLast;
    else if (inA) end = startB !== null && startB - 1n < aLast ? startB - 1n : aLast;
    else end = startA !== null && startA - 1n < bLast ? startA - 1n : bLast;
    const x = inA ? a.wins[i] as number : -1;
    const w = inB ? b.wins[j] as number : -1;
    const win = x < 0 ? w : w < 0 ? x : sizeOf(w) < sizeOf(x) ? w : x;
    if (win >= 0) emit6(out, start, end, win);
    cursor = end + 1n;
    if (hasA && aLast < cursor) i++;
    if (hasB && bLast < cursor) j++;
  }
  return out;
}

// Lookups search a sample of every TOP_BLOCK-th segment start, then one block: a million
// scenarios over a large estate touch a few cache lines per lookup instead of one per step.
const TOP_BLOCK = 16;

function findSegment4(partition: Partition, v4: number): number {
  const starts = partition.first4;
  const lasts = partition.last4;
  const top = partition.top4;
  if (starts === null || lasts === null || top === null) return -1;
  let lo = 0;
  let hi = top.length - 1;
  let block = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((top[mid] as number) <= v4) { block = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (block < 0) return -1;
  // The last segment of the block that starts at or before v4.
  let hit = block * TOP_BLOCK;
  const end = Math.min(partition.count, hit + TOP_BLOCK);
  for (let k = hit + 1; k < end && (starts[k] as number) <= v4; k++) hit = k;
  return v4 > (lasts[hit] as number) ? -1 : hit;
}

function findSegment6(partition: Partition, value: bigint): number {
  const starts = partition.first6;
  const lasts = partition.last6;
  if (starts === null || lasts === null) return -1;
  let lo = 0;
  let hi = partition.count - 1;
  let hit = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if ((starts[mid] as bigint) <= value) { hit = mid; lo = mid + 1; } else hi = mid - 1;
  }
  if (hit < 0 || value > (lasts[hit] as bigint)) return -1;
  return hit;
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
  const k = v4 !== null ? findSegment4(partition, v4) : findSegment6(partition, value);
  if (k < 0) return null;
  // The answer depends only on the segment: built once, shared (callers must not mutate it).
  let selections = partition.selections;
  if (selections === null) {
    selections = new Array<Selection | undefined>(partition.count);
    partition.selections = selections;
  }
  let selection = selections[k];
  if (selection === undefined) {
    const code = partition.wins[k] as number;
    const id = code >> 1;
    const r = rangeEntry(policy, id);
    selection = Object.freeze({
      connector: (policy.rangeOwner[id] as ConnectorEntry).connector, range: r.range, interval: r.interval,
      size: r.size, binding: bindingOf(code), localAddress: partition.localAddress,
    });
    selections[k] = selection;
  }
  return selection;
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

function makeWon(policy: PolicyIndex, partition: Partition, k: number): WonInterval {
  const code = partition.wins[k] as number;
  const id = code >> 1;
  let first: bigint;
  let last: bigint;
  const { first4, last4 } = partition;
  if (first4 !== null && last4 !== null) {
    const f = first4[k] as number;
    const l = last4[k] as number;
    first = BigInt(f);
    last = f === l ? first : BigInt(l);
  } else {
    first = (partition.first6 as bigint[])[k] as bigint;
    last = (partition.last6 as bigint[])[k] as bigint;
  }
  return {
    family: partition.family, first, last, connector: (policy.rangeOwner[id] as ConnectorEntry).connector,
    port: partition.port, localAddress: partition.localAddress, range: policy.rangeRaw[id] as IpRange, binding: bindingOf(code),
  };
}

/** The partition's segments as WonIntervals: made once per partition, then shared (read-only). */
function wonOf(policy: PolicyIndex, partition: Partition): WonInterval[] {
  if (partition.won !== null) return partition.won;
  const out: WonInterval[] = [];
  for (let k = 0; k < partition.count; k++) out.push(makeWon(policy, partition, k));
  partition.won = out;
  return out;
}

/** Segment indices of a partition grouped by winning connector: one counting sort, made once. */
function groupsOf(policy: PolicyIndex, partition: Partition): { offsets: Int32Array; positions: Int32Array } {
  if (partition.byGroup !== null) return partition.byGroup;
  // One counting sort per partition, so listing every connector's intervals stays linear overall.
  const n = partition.count;
  const offsets = new Int32Array(policy.snapshot.connectors.length + 1);
  const groupOf = i32(4, n);
  for (let k = 0; k < n; k++) {
    const g = (policy.rangeOwner[(partition.wins[k] as number) >> 1] as ConnectorEntry).group;
    groupOf[k] = g;
    offsets[g + 1] = (offsets[g + 1] as number) + 1;
  }
  for (let g = 1; g < offsets.length; g++) offsets[g] = (offsets[g] as number) + (offsets[g - 1] as number);
  const next = offsets.slice(0, -1);
  const positions = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const g = groupOf[k] as number;
    positions[next[g] as number] = k;
    next[g] = (next[g] as number) + 1;
  }
  partition.byGroup = { offsets, positions };
  return partition.byGroup;
}

/** The WonIntervals of a partition that one connector wins, in address order (made once, shared). */
function wonByConnectorOf(policy: PolicyIndex, partition: Partition, connector: ReceiveConnector): WonInterval[] {
  const entry = policy.entries.get(connector);
  if (entry === undefined) return [];
  let by = partition.byConnector;
  if (by === null) { by = new Map(); partition.byConnector = by; }
  const hit = by.get(connector);
  if (hit !== undefined) return hit;
  const groups = groupsOf(policy, partition);
  const list: WonInterval[] = [];
  const all = partition.won;
  for (let p = groups.offsets[entry.group] as number, end = groups.offsets[entry.group + 1] as number; p < end; p++) {
    const k = groups.positions[p] as number;
    list.push(all !== null ? all[k] as WonInterval : makeWon(policy, partition, k));
  }
  by.set(connector, list);
  return list;
}

/**
 * The address space for one endpoint partitioned by the connector that wins it (gaps with no
 * connector omitted), in address order. A null local address gives both families, each
 * resolved as {@link resolveLocalAddress} does. The array is new per call; the WonInterval
 * objects are shared between calls (read-only).
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
  let out: WonInterval[] | null = null;
  for (const local of locals) {
    const partition = partitionFor(policy, endpoint.server, endpoint.port, local);
    if (partition === null) continue;
    const won = wonOf(policy, partition);
    out = out === null ? won.slice() : out.concat(won);
  }
  return out ?? [];
}

/** The partitions a connector's bindings are judged at, each once, in binding order. */
function partitionsOfConnector(policy: PolicyIndex, connector: ReceiveConnector): Partition[] {
  const out: Partition[] = [];
  for (const b of connector.bindings) {
    const family = bindingFamily(b.address);
    if (family === null) continue;
    const local = isWildcardAddress(b.address) ? wildcardAddress(family) : b.address;
    const partition = partitionFor(policy, connector.server, b.port, local);
    // One partition per (server, port, local address): a second binding reaching it adds nothing.
    if (partition === null || out.includes(partition)) continue;
    out.push(partition);
  }
  return out;
}

/**
 * Every interval a connector wins, over all of its bindings. A wildcard binding is evaluated
 * for a local address no other connector binds specifically — where it wins the most; an
 * exact binding for its own address. Disabled connectors win nothing. The array is new per
 * call; the WonInterval objects are shared between calls (read-only).
 */
export function intervalsWonBy(policy: PolicyIndex, connector: ReceiveConnector): WonInterval[] {
  if (!connector.enabled) return [];
  const out: WonInterval[] = [];
  for (const partition of partitionsOfConnector(policy, connector)) {
    for (const w of wonByConnectorOf(policy, partition, connector)) out.push(w);
  }
  return out;
}

/**
 * How many intervals {@link intervalsWonBy} would return for the connector, without making them
 * (e.g. "is this connector ever selected?").
 */
export function wonIntervalCount(policy: PolicyIndex, connector: ReceiveConnector): number {
  if (!connector.enabled) return 0;
  const entry = policy.entries.get(connector);
  if (entry === undefined) return 0;
  let count = 0;
  for (const partition of partitionsOfConnector(policy, connector)) {
    const groups = groupsOf(policy, partition);
    count += (groups.offsets[entry.group + 1] as number) - (groups.offsets[entry.group] as number);
  }
  return count;
}

/**
 * Builds, once per policy, every partition that {@link intervalsWonByAll} uses, in the same
 * order (export order of the enabled connectors, then binding order), so equal-range ties are
 * reported as a whole-estate listing reports them; no WonInterval is made. Callers that then
 * ask per connector (intervalsWonBy, wonIntervalCount) see the same problems as after
 * intervalsWonByAll.
 */
export function preparePartitions(policy: PolicyIndex): void {
  if (policy.partitionsPrepared) return;
  policy.partitionsPrepared = true;
  for (const c of policy.snapshot.connectors) if (c.enabled) partitionsOfConnector(policy, c);
}

/**
 * intervalsWonBy for every connector of the snapshot at once, in export order: each partition
 * is built and bucketed by winner once, whatever the number of connectors. Disabled connectors
 * map to an empty list.
 */
export function intervalsWonByAll(policy: PolicyIndex): Map<ReceiveConnector, WonInterval[]> {
  const out = new Map<ReceiveConnector, WonInterval[]>();
  for (const c of policy.snapshot.connectors) {
    if (!out.has(c)) out.set(c, intervalsWonBy(policy, c));
  }
  return out;
}

export { sameAddress };
export * from './rights.js';
export * from './accepted-domains.js';
