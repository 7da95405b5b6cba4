// Won intervals: the address space listed by the connector that wins it — per endpoint, per
// connector, or for the whole estate — made from the partitions once and shared (read-only).
import type { IpRange, ReceiveConnector } from '../model.js';
import { type Family, isWildcardAddress, parseAddress, wildcardAddress } from '../net/index.js';
import { type Endpoint, resolveLocalAddress } from './endpoint.js';
import { partitionFor } from './partition.js';
import {
  type ConnectorEntry, type Partition, type PolicyIndex, type PolicyTables, type SegmentGroups, type WonInterval, tablesOf,
} from './policy-index.js';
import { i32 } from './scratch.js';
import { bindingOf } from './sweep.js';

function bindingFamily(address: string): Family | null {
  const parsed = parseAddress(address);
  return parsed === null ? null : parsed.family;
}

function makeWon(tables: PolicyTables, partition: Partition, k: number): WonInterval {
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
    family: partition.family, first, last, connector: (tables.rangeOwner[id] as ConnectorEntry).connector,
    port: partition.port, localAddress: partition.localAddress, range: tables.rangeRaw[id] as IpRange, binding: bindingOf(code),
  };
}

/** The partition's segments as WonIntervals: made once per partition, then shared (read-only). */
function wonOf(tables: PolicyTables, partition: Partition): WonInterval[] {
  if (partition.won !== null) return partition.won;
  const out: WonInterval[] = [];
  for (let k = 0; k < partition.count; k++) out.push(makeWon(tables, partition, k));
  partition.won = out;
  return out;
}

/**
 * Segment indices of a partition grouped by winning connector: one counting sort over the
 * connectors that win something there (a partition sees one server's connectors, so the
 * arrays are sized by those, not by the estate's connectors), made once.
 */
function groupsOf(tables: PolicyTables, partition: Partition): SegmentGroups {
  if (partition.byGroup !== null) return partition.byGroup;
  const n = partition.count;
  // Local index + 1 of each group (0: not seen yet) in a pooled array sized by the estate,
  // cleared again below: an estate-sized array per partition was servers × connectors of
  // allocation and, as external memory, extra full collections.
  const localPlusOne = i32(5, tables.snapshot.connectors.length);
  const groupOf = i32(4, n);
  const localOf = new Map<number, number>();
  const counts: number[] = [];
  for (let k = 0; k < n; k++) {
    const g = (tables.rangeOwner[(partition.wins[k] as number) >> 1] as ConnectorEntry).group;
    let local = (localPlusOne[g] as number) - 1;
    if (local < 0) {
      local = counts.length;
      localPlusOne[g] = local + 1;
      localOf.set(g, local);
      counts.push(0);
    }
    groupOf[k] = local;
    counts[local] = (counts[local] as number) + 1;
  }
  for (const g of localOf.keys()) localPlusOne[g] = 0;
  const offsets = new Int32Array(counts.length + 1);
  for (let l = 0; l < counts.length; l++) offsets[l + 1] = (offsets[l] as number) + (counts[l] as number);
  const next = offsets.slice(0, -1);
  const positions = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const l = groupOf[k] as number;
    positions[next[l] as number] = k;
    next[l] = (next[l] as number) + 1;
  }
  partition.byGroup = { localOf, offsets, positions };
  return partition.byGroup;
}

/** The span of `positions` holding the segments won by `group` (empty when it wins none). */
function spanOf(groups: SegmentGroups, group: number): { start: number; end: number } {
  const local = groups.localOf.get(group);
  if (local === undefined) return { start: 0, end: 0 };
  return { start: groups.offsets[local] as number, end: groups.offsets[local + 1] as number };
}

/** The WonIntervals of a partition that one connector wins, in address order (made once, shared). */
function wonByConnectorOf(tables: PolicyTables, partition: Partition, connector: ReceiveConnector): WonInterval[] {
  const entry = tables.entries.get(connector);
  if (entry === undefined) return [];
  let by = partition.byConnector;
  if (by === null) { by = new Map(); partition.byConnector = by; }
  const hit = by.get(connector);
  if (hit !== undefined) return hit;
  const groups = groupsOf(tables, partition);
  const list: WonInterval[] = [];
  const all = partition.won;
  const { start, end } = spanOf(groups, entry.group);
  for (let p = start; p < end; p++) {
    const k = groups.positions[p] as number;
    list.push(all !== null ? all[k] as WonInterval : makeWon(tables, partition, k));
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
  const tables = tablesOf(policy);
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
    const partition = partitionFor(tables, endpoint.server, endpoint.port, local);
    if (partition === null) continue;
    const won = wonOf(tables, partition);
    out = out === null ? won.slice() : out.concat(won);
  }
  return out ?? [];
}

/** The partitions a connector's bindings are judged at, each once, in binding order. */
function partitionsOfConnector(tables: PolicyTables, connector: ReceiveConnector): Partition[] {
  const out: Partition[] = [];
  for (const b of connector.bindings) {
    const family = bindingFamily(b.address);
    if (family === null) continue;
    const local = isWildcardAddress(b.address) ? wildcardAddress(family) : b.address;
    const partition = partitionFor(tables, connector.server, b.port, local);
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
  const tables = tablesOf(policy);
  if (!connector.enabled) return [];
  const out: WonInterval[] = [];
  for (const partition of partitionsOfConnector(tables, connector)) {
    for (const w of wonByConnectorOf(tables, partition, connector)) out.push(w);
  }
  return out;
}

/** IPv4 intervals a connector wins, in {@link intervalsWonBy}'s order, as bounds and winning ranges. */
export interface WonSegments4 { count: number; first: Float64Array; last: Float64Array; ranges: IpRange[] }

/**
 * What {@link intervalsWonBy} would return, as numbers and without its objects, when every
 * partition of the connector is IPv4; null when one is IPv6 (ask intervalsWonBy then). The
 * intervals a large relay wins are a million objects and two bigints each, kept alive as long
 * as the index: callers that only add sizes and name ranges read these instead.
 */
export function wonSegments4(policy: PolicyIndex, connector: ReceiveConnector): WonSegments4 | null {
  const tables = tablesOf(policy);
  const entry = tables.entries.get(connector);
  const partitions = connector.enabled ? partitionsOfConnector(tables, connector) : [];
  if (entry === undefined) partitions.length = 0;
  let n = 0;
  for (const partition of partitions) {
    if (partition.family !== 4 || partition.first4 === null || partition.last4 === null) return null;
    const { start, end } = spanOf(groupsOf(tables, partition), (entry as ConnectorEntry).group);
    n += end - start;
  }
  const out: WonSegments4 = { count: n, first: new Float64Array(n), last: new Float64Array(n), ranges: new Array<IpRange>(n) };
  let j = 0;
  for (const partition of partitions) {
    const groups = groupsOf(tables, partition);
    const { start, end } = spanOf(groups, (entry as ConnectorEntry).group);
    const first4 = partition.first4 as Float64Array;
    const last4 = partition.last4 as Float64Array;
    for (let p = start; p < end; p++) {
      const k = groups.positions[p] as number;
      out.first[j] = first4[k] as number;
      out.last[j] = last4[k] as number;
      out.ranges[j] = tables.rangeRaw[(partition.wins[k] as number) >> 1] as IpRange;
      j++;
    }
  }
  return out;
}

/**
 * How many intervals {@link intervalsWonBy} would return for the connector, without making them
 * (e.g. "is this connector ever selected?").
 */
export function wonIntervalCount(policy: PolicyIndex, connector: ReceiveConnector): number {
  const tables = tablesOf(policy);
  if (!connector.enabled) return 0;
  const entry = tables.entries.get(connector);
  if (entry === undefined) return 0;
  let count = 0;
  for (const partition of partitionsOfConnector(tables, connector)) {
    const { start, end } = spanOf(groupsOf(tables, partition), entry.group);
    count += end - start;
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
  const tables = tablesOf(policy);
  if (tables.partitionsPrepared) return;
  tables.partitionsPrepared = true;
  for (const c of policy.snapshot.connectors) if (c.enabled) partitionsOfConnector(tables, c);
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
