// Partitions: for one (server, port, local address), the address space split into segments,
// each won by one range of one connector (reference §4.1: only the service listening on the
// socket takes part; §4.2: the smallest range wins, a wildcard binding only if strictly
// smaller than the exact one). Built on first use and cached in the index's tables.
import type { TransportRole } from '../model.js';
import { type Family, formatAddress, parseAddress } from '../net/index.js';
import type { ConnectorEntry, Partition, PolicyTables } from './policy-index.js';
import { EMPTY_WINS, EXACT, WILDCARD, overlay4, overlay6, smallestRangePartition4, smallestRangePartition6, tieMessage } from './sweep.js';

// Which transport service listens when both roles bind the same socket (a state Exchange
// refuses to create, reference §4.4; one of the two services fails to start). Default owners
// are those of reference §4.1.
// UNSURE(reference): which service keeps the socket in such a conflict is not documented; we
// give it to the role that owns the port by default, and to Front End for other ports.
const DEFAULT_PORT_OWNER: Record<number, TransportRole> = {
  25: 'FrontendTransport', 587: 'FrontendTransport', 717: 'FrontendTransport',
  2525: 'HubTransport', 465: 'HubTransport', 475: 'HubTransport',
};

// Lookups search a sample of every TOP_BLOCK-th segment start, then one block: a million
// scenarios over a large estate touch a few cache lines per lookup instead of one per step.
export const TOP_BLOCK = 16;

export function partitionFor(tables: PolicyTables, server: string, port: number, localAddress: string): Partition | null {
  const rawKey = `${server}|${port}|${localAddress}`;
  const hit = tables.partitionsByRaw.get(rawKey);
  if (hit !== undefined) return hit;
  const partition = partitionForParsed(tables, server, port, localAddress);
  tables.partitionsByRaw.set(rawKey, partition);
  return partition;
}

function partitionForParsed(tables: PolicyTables, server: string, port: number, localAddress: string): Partition | null {
  const local = parseAddress(localAddress);
  if (local === null) return null;
  const localText = formatAddress(local.family, local.value);
  const key = `${server.toLowerCase()}|${port}|${localText}`;
  let partition = tables.partitions.get(key);
  if (partition === undefined) {
    partition = buildPartition(tables, server, port, local.family, local.value, localText);
    tables.partitions.set(key, partition);
  }
  return partition;
}

function buildPartition(tables: PolicyTables, server: string, port: number, family: Family, local: bigint, localText: string): Partition {
  const exact: ConnectorEntry[] = [];
  const wildcard: ConnectorEntry[] = [];
  const roles = new Set<TransportRole>();
  for (const e of tables.connectorsByServer.get(server.toLowerCase()) ?? []) {
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
  // Ties are counted, and spelt out only while they are listed (an overlapping estate has
  // thousands; the problem list keeps the first MAX_TIE_REPORTS).
  const onTie = (a: number, b: number, bit: number): void => reportTie(tables, where, a, b, bit);
  const exactOwned = exact.filter((e) => e.role === owner);
  const wildcardOwned = wildcard.filter((e) => e.role === owner);
  const partition: Partition = {
    family, localAddress: localText, port, count: 0, wins: EMPTY_WINS, first4: null, last4: null, first6: null, last6: null,
    listening, selections: null, top4: null, won: null, byGroup: null, byConnector: null,
  };
  // §4.2: the wildcard winner wins only if its range is strictly smaller than the exact one's.
  if (family === 4) {
    const bestX = smallestRangePartition4(tables, exactOwned, EXACT, onTie);
    // The wildcard candidates do not depend on the local address: one sweep per (server, port,
    // owner), its ties reported again for each partition as a fresh sweep would.
    const key = `${server.toLowerCase()}|${port}|${owner ?? ''}`;
    let shared = tables.wildcardSweeps4.get(key);
    if (shared === undefined) {
      const ties: number[] = [];
      shared = { segments: smallestRangePartition4(tables, wildcardOwned, WILDCARD, (a, b, bit) => { ties.push(a, b, bit); }), ties };
      tables.wildcardSweeps4.set(key, shared);
    }
    const ties = shared.ties;
    for (let t = 0; t + 2 < ties.length; t += 3) onTie(ties[t] as number, ties[t + 1] as number, ties[t + 2] as number);
    const bestW = shared.segments;
    const segments = overlay4(tables, bestX, bestW);
    partition.count = segments.count;
    partition.wins = segments.wins;
    partition.first4 = segments.first;
    partition.last4 = segments.last;
    const top = new Float64Array(Math.ceil(segments.count / TOP_BLOCK));
    for (let b = 0; b < top.length; b++) top[b] = segments.first[b * TOP_BLOCK] as number;
    partition.top4 = top;
  } else {
    const bestX = smallestRangePartition6(tables, exactOwned, EXACT, onTie);
    const bestW = smallestRangePartition6(tables, wildcardOwned, WILDCARD, onTie);
    const segments = overlay6(tables, bestX, bestW);
    partition.count = segments.wins.length;
    partition.wins = Int32Array.from(segments.wins);
    partition.first6 = segments.first;
    partition.last6 = segments.last;
  }
  return partition;
}

const MAX_TIE_REPORTS = 100;
function reportTie(tables: PolicyTables, where: string, a: number, b: number, bit: number): void {
  tables.tieCount++;
  if (tables.tieCount <= MAX_TIE_REPORTS) tables.problems.push(`${where}: ${tieMessage(tables, a, b, bit)}`);
  else if (tables.tieCount === MAX_TIE_REPORTS + 1) tables.problems.push('more equal-range ties not listed');
}
