// The policy index: the one engine behind replay, sandbox, audit, diff, report and postfix.
// Built once per snapshot: the connectors grouped by server and every usable remote range
// numbered in one range table. Everything the engine derives later (partitions, selections,
// won intervals, memos) is cached in the index's private tables, which only the policy
// modules reach (through `tablesOf`).
import type { AcceptedDomain, ExchangeServer, IpRange, Permission, ReceiveConnector, Snapshot, TransportRole } from '../model.js';
import {
  ADDRESS_PARTS, type Family, type Interval, addressPartsValue, comparePartsAt, intervalSize, parseIpv4Number, readRangeExact,
} from '../net/index.js';

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

export interface RangeEntry { interval: Interval; range: IpRange; size: bigint }

export interface ConnectorEntry {
  connector: ReceiveConnector;
  order: number;
  role: TransportRole;
  /** The order of the entry holding this connector object (itself, unless the snapshot lists the object twice). */
  group: number;
  /** Ids of the connector's usable ranges in the policy's range table, per family, in range order. */
  ids4: number[];
  ids6: number[];
  /** Every range of the list read as two dotted IPv4 addresses (parseIpv4Number), first ≤ last: ids4 is the whole list. */
  plain4: boolean;
}

/** IPv4 segments in parallel arrays (bounds as doubles, winner codes). */
export interface Segments4 { count: number; first: Float64Array; last: Float64Array; wins: Int32Array }

/**
 * Segment indices of a partition grouped by winning connector (a counting sort): the group
 * whose local index is l = localOf.get(group) wins segments `positions[offsets[l] .. offsets[l + 1])`.
 */
export interface SegmentGroups { localOf: Map<number, number>; offsets: Int32Array; positions: Int32Array }

/**
 * Elementary intervals of one (server, port, local address, family), sorted, gaps omitted.
 * Segment k is [first, last] won by the range `wins[k] >> 1` of the range table, through an
 * exact (`wins[k] & 1 === 0`) or wildcard binding. IPv4 bounds are doubles (exact: < 2^32),
 * IPv6 bounds bigints.
 */
export interface Partition {
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
  /** Segment indices grouped by winning connector (see SegmentGroups). */
  byGroup: SegmentGroups | null;
  /** WonIntervals per winning connector, made on first use by intervalsWonBy (shared, read-only). */
  byConnector: Map<ReceiveConnector, WonInterval[]> | null;
}

/** What the index knows and caches: private to the policy modules. */
export interface PolicyTables {
  readonly snapshot: Snapshot;
  /** The index's public problem list (the same array). */
  readonly problems: string[];
  tieCount: number;
  /** see preparePartitions */
  partitionsPrepared: boolean;
  readonly connectorsByServer: Map<string, ConnectorEntry[]>;
  readonly entries: Map<ReceiveConnector, ConnectorEntry>;
  readonly serversByName: Map<string, ExchangeServer>;
  readonly serversByRawName: Map<string, ExchangeServer | undefined>;
  readonly permissionsByIdentity: Map<string, Permission[]>;
  readonly partitions: Map<string, Partition>;
  readonly partitionsByRaw: Map<string, Partition | null>;
  readonly defaultLocals: Map<string, string | null>;
  readonly endpointPartitions: Map<string, Map<number, Map<string, Partition | null>>>;
  /** Range table (see buildTables): owner, model range and IPv4 bounds per id. */
  readonly rangeOwner: ConnectorEntry[];
  readonly rangeRaw: IpRange[];
  readonly rangeFirst4: Float64Array;
  readonly rangeLast4: Float64Array;
  /**
   * IPv6 bounds as parts (see ADDRESS_PARTS; the first address's, then the last's) of the range
   * whose slot is k at rangeParts6[k * 2 * ADDRESS_PARTS ..]; rangeSlot6[id] is the slot, -1 for IPv4.
   */
  rangeParts6: Float64Array;
  readonly rangeSlot6: Int32Array;
  /** bigint view of a range, made on first use */
  readonly rangeEntries: Map<number, RangeEntry>;
  /** IPv4 wildcard-binding sweeps per (server, port, owner role): every local address of the port shares it */
  readonly wildcardSweeps4: Map<string, { segments: Segments4; ties: number[] }>;
  /** Memo shared by the policy modules (rights, domains). */
  readonly caches: Map<string, unknown>;
  /** Per-connector memo (session rights sets, EHLO lists): object keys, no string building. */
  readonly connectorMemo: Map<ReceiveConnector, Map<string, unknown>>;
}

let tablesOfIndex: (policy: PolicyIndex) => PolicyTables;

export class PolicyIndex {
  readonly snapshot: Snapshot;
  /** Data the engine had to skip (e.g. a range that is not an address range), for reporting. */
  readonly problems: string[] = [];
  /** The snapshot's accepted domains. */
  readonly acceptedDomains: AcceptedDomain[];
  readonly #tables: PolicyTables;

  static {
    tablesOfIndex = (policy) => policy.#tables;
  }

  constructor(snapshot: Snapshot) {
    this.snapshot = snapshot;
    this.acceptedDomains = snapshot.acceptedDomains;
    this.#tables = buildTables(snapshot, this.problems);
  }

  /** Whether the connector object is one of the snapshot's (memos hold only those). */
  knows(connector: ReceiveConnector): boolean {
    return this.#tables.entries.has(connector);
  }

  /** The per-connector memo map itself (hot paths use get/set without closures). */
  memoMap(connector: ReceiveConnector): Map<string, unknown> {
    const memos = this.#tables.connectorMemo;
    let m = memos.get(connector);
    if (m === undefined) { m = new Map(); memos.set(connector, m); }
    return m;
  }

  /** Memo shared by the policy modules (rights, domains). */
  memo<T>(key: string, make: () => T): T {
    const caches = this.#tables.caches;
    if (caches.has(key)) return caches.get(key) as T;
    const value = make();
    caches.set(key, value);
    return value;
  }
}

/** The index's private tables (for the policy modules only). */
export function tablesOf(policy: PolicyIndex): PolicyTables {
  return tablesOfIndex(policy);
}

function buildTables(snapshot: Snapshot, problems: string[]): PolicyTables {
  // The range table: every usable remote range of every connector, numbered in export order
  // (connector, then range), so that one id orders ties as (connector order, range order).
  // IPv4 bounds are kept as doubles: no bigint or object per range (estates carry millions).
  let total = 0;
  for (const c of snapshot.connectors) total += c.remoteIPRanges.length;
  const tables: PolicyTables = {
    snapshot, problems, tieCount: 0, partitionsPrepared: false,
    connectorsByServer: new Map(), entries: new Map(), serversByName: new Map(), serversByRawName: new Map(),
    permissionsByIdentity: new Map(), partitions: new Map(), partitionsByRaw: new Map(), defaultLocals: new Map(),
    endpointPartitions: new Map(), rangeOwner: [], rangeRaw: [], rangeFirst4: new Float64Array(total),
    rangeLast4: new Float64Array(total), rangeParts6: new Float64Array(0), rangeSlot6: new Int32Array(total).fill(-1), rangeEntries: new Map(), wildcardSweeps4: new Map(), caches: new Map(),
    connectorMemo: new Map(),
  };
  for (const s of snapshot.servers) {
    const key = s.name.toLowerCase();
    if (!tables.serversByName.has(key)) tables.serversByName.set(key, s);
  }
  // One call per connector (optimised once hot, as the callback it was), with the range
  // table's write position in an object rather than in variables a closure captures.
  const cursor: RangeCursor = { id: 0, slots6: 0, total };
  const connectors = snapshot.connectors;
  for (let order = 0; order < connectors.length; order++) indexConnector(tables, connectors[order] as ReceiveConnector, order, cursor);
  for (const list of tables.connectorsByServer.values()) for (const e of list) e.group = tables.entries.get(e.connector)?.order ?? e.order;
  for (const p of snapshot.permissions) {
    const key = p.identity.toLowerCase();
    const list = tables.permissionsByIdentity.get(key);
    if (list === undefined) tables.permissionsByIdentity.set(key, [p]); else list.push(p);
  }
  return tables;
}

/** Where the next range of the range table goes: its id, and its IPv6 slot. */
interface RangeCursor { id: number; slots6: number; readonly total: number }

function indexConnector(tables: PolicyTables, connector: ReceiveConnector, order: number, cursor: RangeCursor): void {
  const { rangeFirst4, rangeLast4, rangeOwner, rangeRaw, rangeSlot6, problems } = tables;
  const parts = BOUND_PARTS;
  const entry: ConnectorEntry = { connector, order, group: order, role: connector.transportRole ?? 'HubTransport', ids4: [], ids6: [], plain4: true };
  for (const range of connector.remoteIPRanges) {
    // tryRangeInterval's decision (bounds read exactly, one family, first ≤ last) without its
    // bigints: IPv4 bounds as numbers, IPv6 ones as parts.
    let f4 = parseIpv4Number(range.first);
    let l4 = f4 === null ? null : range.last === range.first ? f4 : parseIpv4Number(range.last);
    if (f4 === null || l4 === null) {
      entry.plain4 = false;
      const family = readRangeExact(range.first, range.last, parts, 0);
      if (family === 0) {
        problems.push(`${connector.identity}: remote range "${range.expression}" is not an address range; ignored`);
        continue;
      }
      if (family === 6) {
        // Sized once, at the first IPv6 range, for every range after it (pages never written
        // are not touched).
        if (cursor.slots6 === 0) tables.rangeParts6 = new Float64Array(2 * PARTS * (cursor.total - cursor.id));
        tables.rangeParts6.set(parts, 2 * PARTS * cursor.slots6);
        rangeSlot6[cursor.id] = cursor.slots6++;
        rangeOwner.push(entry);
        rangeRaw.push(range);
        entry.ids6.push(cursor.id++);
        continue;
      }
      f4 = parts[2] as number;
      l4 = parts[5] as number;
    } else if (f4 > l4) {
      entry.plain4 = false;
      problems.push(`${connector.identity}: remote range "${range.expression}" is not an address range; ignored`);
      continue;
    }
    rangeFirst4[cursor.id] = f4;
    rangeLast4[cursor.id] = l4;
    rangeOwner.push(entry);
    rangeRaw.push(range);
    entry.ids4.push(cursor.id++);
  }
  tables.entries.set(connector, entry);
  // The first index's reading stays: a fix's trial index over a changed copy of the snapshot
  // reads the same lists the same way, and keeping it would keep that index alive with them.
  if (!listReadings.has(connector.remoteIPRanges)) listReadings.set(connector.remoteIPRanges, { tables, entry });
  const key = connector.server.toLowerCase();
  const list = tables.connectorsByServer.get(key);
  if (list === undefined) tables.connectorsByServer.set(key, [entry]); else list.push(entry);
}

/**
 * A range list as a policy index read it (tryRangeInterval's decision, as readRangeExact
 * makes it): the ids of its usable ranges in the range table, per family, in list order.
 */
export interface RangeListReading { readonly tables: PolicyTables; readonly entry: ConnectorEntry }

// Range lists are replaced, never changed in place (the importers build them once; apply's
// cmdlets assign new lists), so a list's reading can be kept with it. The clash index and
// the binding-conflict check read the range lists of a server again; the index has already
// read every range text of the snapshot once.
const listReadings = new WeakMap<readonly IpRange[], RangeListReading>();

/** The reading of `list` by some policy index built over a snapshot holding it, if any. */
export function rangeListReading(list: readonly IpRange[]): RangeListReading | undefined {
  return listReadings.get(list);
}

/**
 * When a policy index read every range of `list` as two dotted IPv4 addresses (parseIpv4Number
 * of each bound), first ≤ last: their values into first[at ..] and last[at ..] in list order,
 * and true. False, nothing written, otherwise (the caller reads the texts itself).
 */
export function plainIpv4Bounds(list: readonly IpRange[], first: Float64Array, last: Float64Array, at: number): boolean {
  const reading = listReadings.get(list);
  if (reading === undefined || !reading.entry.plain4) return false;
  const { ids4 } = reading.entry;
  const { rangeFirst4, rangeLast4 } = reading.tables;
  for (let x = 0; x < ids4.length; x++) {
    const id = ids4[x] as number;
    first[at + x] = rangeFirst4[id] as number;
    last[at + x] = rangeLast4[id] as number;
  }
  return true;
}

/**
 * For a list some policy index read as plain IPv4 (see plainIpv4Bounds): the lowest and highest
 * first and last values, as text; null otherwise (not read, or read another way).
 */
export function plainIpv4Span(list: readonly IpRange[]): string | null {
  const reading = listReadings.get(list);
  if (reading === undefined || !reading.entry.plain4) return null;
  const { ids4 } = reading.entry;
  const { rangeFirst4, rangeLast4 } = reading.tables;
  let lowFirst = Infinity;
  let highFirst = -Infinity;
  let lowLast = Infinity;
  let highLast = -Infinity;
  for (let x = 0; x < ids4.length; x++) {
    const f = rangeFirst4[ids4[x] as number] as number;
    const l = rangeLast4[ids4[x] as number] as number;
    if (f < lowFirst) lowFirst = f;
    if (f > highFirst) highFirst = f;
    if (l < lowLast) lowLast = l;
    if (l > highLast) highLast = l;
  }
  return `${lowFirst}:${highFirst}:${lowLast}:${highLast}`;
}

// Read once: an imported binding may cost a property read per use on hot paths.
const PARTS = ADDRESS_PARTS;
const compareParts = comparePartsAt;
const BOUND_PARTS = new Float64Array(2 * PARTS);

/** The bigint view of a range (made once per range, on first use). */
export function rangeEntry(tables: PolicyTables, id: number): RangeEntry {
  let entry = tables.rangeEntries.get(id);
  if (entry === undefined) {
    const slot = tables.rangeSlot6[id] as number;
    let interval: Interval;
    if (slot >= 0) {
      const at = slot * 2 * PARTS;
      const first = addressPartsValue(tables.rangeParts6, at);
      const single = compareParts(tables.rangeParts6, at, tables.rangeParts6, at + PARTS) === 0;
      interval = { family: 6, first, last: single ? first : addressPartsValue(tables.rangeParts6, at + PARTS) };
    } else {
      const f4 = tables.rangeFirst4[id] as number;
      const l4 = tables.rangeLast4[id] as number;
      const first = BigInt(f4);
      interval = { family: 4, first, last: l4 === f4 ? first : BigInt(l4) };
    }
    entry = { interval, range: tables.rangeRaw[id] as IpRange, size: intervalSize(interval) };
    tables.rangeEntries.set(id, entry);
  }
  return entry;
}

/**
 * Compares the sizes (address counts) of two IPv6 ranges of the table without bigints: the
 * sign of size(a) - size(b).
 */
export function compareSize6(tables: PolicyTables, a: number, b: number): number {
  const d = SIZE_PARTS;
  sizeParts6(tables.rangeParts6, (tables.rangeSlot6[a] as number) * 2 * PARTS, d, 0);
  sizeParts6(tables.rangeParts6, (tables.rangeSlot6[b] as number) * 2 * PARTS, d, PARTS);
  return compareParts(d, 0, d, PARTS);
}

const SIZE_PARTS = new Float64Array(2 * PARTS);

/**
 * last - first of the IPv6 range whose parts start at `at`, as parts into out[to ..] (the size
 * less one: sizes compare as these do). Parts are 48, 48 and 32 bits wide; the subtraction borrows.
 */
export function sizeParts6(parts: Float64Array, at: number, out: Float64Array, to: number): void {
  let low = (parts[at + PARTS + 2] as number) - (parts[at + 2] as number);
  let borrow = 0;
  if (low < 0) { low += 2 ** 32; borrow = 1; }
  let middle = (parts[at + PARTS + 1] as number) - (parts[at + 1] as number) - borrow;
  borrow = 0;
  if (middle < 0) { middle += 2 ** 48; borrow = 1; }
  out[to] = (parts[at + PARTS] as number) - (parts[at] as number) - borrow;
  out[to + 1] = middle;
  out[to + 2] = low;
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
