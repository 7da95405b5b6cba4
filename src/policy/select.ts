// Selection lookup (reference §4.2): which connector a client reaches at an endpoint — a binary
// search in the endpoint's partition, with one frozen Selection per segment.
import type { ReceiveConnector } from '../model.js';
import { type Family, parseAddress, parseIpv4Number } from '../net/index.js';
import { type Endpoint, resolveLocalAddress } from './endpoint.js';
import { TOP_BLOCK, partitionFor } from './partition.js';
import {
  type ConnectorEntry, type Partition, type PolicyIndex, type Selection, rangeEntry, tablesOf,
} from './policy-index.js';
import { bindingOf } from './sweep.js';

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
  const tables = tablesOf(policy);
  // Nested maps keyed by the raw values: no key string is built per lookup.
  let byPort = tables.endpointPartitions.get(endpoint.server);
  if (byPort === undefined) { byPort = new Map(); tables.endpointPartitions.set(endpoint.server, byPort); }
  let byLocal = byPort.get(endpoint.port);
  if (byLocal === undefined) { byLocal = new Map(); byPort.set(endpoint.port, byLocal); }
  const local = endpoint.localAddress ?? null;
  const key = local === null ? (family === 4 ? '*4' : '*6') : local;
  const cached = byLocal.get(key);
  if (cached !== undefined) return cached;
  const resolved = resolveLocalAddress(policy, endpoint, family);
  const partition = resolved === null ? null : partitionFor(tables, endpoint.server, endpoint.port, resolved);
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
    const tables = tablesOf(policy);
    const r = rangeEntry(tables, id);
    selection = Object.freeze({
      connector: (tables.rangeOwner[id] as ConnectorEntry).connector, range: r.range, interval: r.interval,
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

/**
 * selectConnector for an IPv4 client given as its value: the same connector, without reading
 * the address text or making the segment's Selection (the overlap rule names the winner of every
 * overlap it shows, tens of thousands on a big estate, and reads nothing else of it).
 */
export function selectConnector4(policy: PolicyIndex, endpoint: Endpoint, v4: number): ReceiveConnector | null {
  const partition = endpointPartition(policy, endpoint, 4);
  // As selectConnectorDetailed: an IPv4 client cannot reach an IPv6 local address (§4.3 example 7).
  if (partition === null || partition.family !== 4) return null;
  const k = findSegment4(partition, v4);
  if (k < 0) return null;
  return (tablesOf(policy).rangeOwner[(partition.wins[k] as number) >> 1] as ConnectorEntry).connector;
}

/** Whether some enabled connector of the server binds this port (and local address) for the client's family. */
export function isListening(policy: PolicyIndex, endpoint: Endpoint, remoteAddress: string): boolean {
  const remote = parseAddress(remoteAddress);
  if (remote === null) return false;
  const local = resolveLocalAddress(policy, endpoint, remote.family);
  if (local === null) return false;
  const partition = partitionFor(tablesOf(policy), endpoint.server, endpoint.port, local);
  return partition !== null && partition.listening;
}
