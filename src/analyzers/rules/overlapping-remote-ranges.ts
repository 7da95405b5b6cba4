import type { JsonValue } from '../../json.js';
import type { IpRange, ReceiveConnector } from '../../model.js';
import {
  canRelayAnonymously, formatAddress, isExternallySecured, parseAddress, parseIpv4Number, selectConnector, tryRangeInterval,
  type PolicyIndex,
} from '../../policy/index.js';
import { intervalEvidence } from '../evidence.js';
import { EVIDENCE_LIMIT, bindingSetKey, defineRule, rangeEvidence, roleKey, type FindingDraft } from '../rule.js';

type Pos = number | bigint;
interface Item { first: Pos; last: Pos; connector: ReceiveConnector; range: IpRange; local: bigint; localText: string }
interface Overlap { first: Pos; last: Pos; kind: 'partial' | 'equal'; a: IpRange; b: IpRange; local: string }

function relaySignature(policy: PolicyIndex, c: ReceiveConnector): { anonymousRelay: boolean; externallySecured: boolean } {
  return { anonymousRelay: canRelayAnonymously(policy, c), externallySecured: isExternallySecured(c) };
}

export default defineRule({
  meta: {
    id: 'overlapping-remote-ranges',
    defaultSeverity: 'medium',
    title: 'Partly overlapping remote ranges with different relay rights',
    description: 'Two enabled connectors on the same server and transport role that can be selected for the same port (bindings overlap) have remote ranges that partly overlap, with different relay rights: which addresses may relay depends on range sizes nobody chose on purpose.',
    remediation: 'Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Remove=<the overlapping range>}   # split the ranges so that each address is listed where it is meant to be',
    references: ['https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors'],
  },
  check: ({ snapshot, policy }) => {
    // Per (server, role, port, family) a sweep over every range sorted by start finds the
    // partly overlapping pairs without comparing connectors two by two.
    const groups = new Map<string, Item[]>();
    for (const c of snapshot.connectors) {
      if (!c.enabled) continue;
      const seenBinding = new Set<string>();
      for (const b of c.bindings) {
        const local = parseAddress(b.address);
        if (local === null) continue;
        const key = `${roleKey(c)}|${b.port}|${local.family}`;
        if (seenBinding.has(`${key}|${local.value}`)) continue;
        seenBinding.add(`${key}|${local.value}`);
        let list = groups.get(key);
        if (list === undefined) { list = []; groups.set(key, list); }
        for (const r of c.remoteIPRanges) {
          let first: Pos;
          let last: Pos;
          if (local.family === 4) {
            const f = parseIpv4Number(r.first);
            const l = parseIpv4Number(r.last);
            if (f === null || l === null) continue;
            first = f; last = l;
          } else {
            const i = tryRangeInterval(r);
            if (i === null || i.family !== 6) continue;
            first = i.first; last = i.last;
          }
          list.push({ first, last, connector: c, range: r, local: local.value, localText: formatAddress(local.family, local.value) });
        }
      }
    }
    // Connectors with the same bindings and ranges are duplicate-connector-scope's finding.
    const dupKey = (c: ReceiveConnector): string => `${roleKey(c)}#${bindingSetKey(c.bindings)}#${[...new Set(c.remoteIPRanges.map((r) => `${r.first}-${r.last}`))].sort().join(',')}`;
    const pairs = new Map<string, { a: ReceiveConnector; b: ReceiveConnector; port: number; overlaps: Overlap[] }>();
    for (const [key, items] of groups) {
      const port = Number(key.split('|')[2]);
      items.sort((x, y) => (x.first < y.first ? -1 : x.first > y.first ? 1 : x.last > y.last ? -1 : x.last < y.last ? 1 : 0));
      let active: Item[] = [];
      for (const r of items) {
        active = active.filter((a) => a.last >= r.first);
        for (const a of active) {
          if (a.connector === r.connector) continue;
          const partial = a.first < r.first && a.last < r.last;
          const equal = a.first === r.first && a.last === r.last;
          if (!partial && !equal) continue;
          // Bindings overlap: the same address, or one side the wildcard (reference §4.4).
          const sameLocal = a.local === r.local;
          if (!sameLocal && a.local !== 0n && r.local !== 0n) continue;
          // Equal ranges are allowed across a wildcard and an exact binding (the exact one wins).
          if (equal && !sameLocal) continue;
          const sa = relaySignature(policy, a.connector);
          const sr = relaySignature(policy, r.connector);
          if (sa.anonymousRelay === sr.anonymousRelay && sa.externallySecured === sr.externallySecured) continue;
          if (dupKey(a.connector) === dupKey(r.connector)) continue;
          const [x, y] = a.connector.identity <= r.connector.identity ? [a, r] : [r, a];
          const pairKey = `${x.connector.identity}\u0000${y.connector.identity}`;
          let pair = pairs.get(pairKey);
          if (pair === undefined) { pair = { a: x.connector, b: y.connector, port, overlaps: [] }; pairs.set(pairKey, pair); }
          pair.overlaps.push({ first: r.first, last: a.last < r.last ? a.last : r.last, kind: equal ? 'equal' : 'partial', a: x.range, b: y.range, local: sameLocal ? x.localText : (x.local === 0n ? y.localText : x.localText) });
        }
        active.push(r);
      }
    }
    const out: FindingDraft[] = [];
    for (const { a, b, port, overlaps } of pairs.values()) {
      const evidence: JsonValue[] = overlaps.slice(0, EVIDENCE_LIMIT).map((o) => {
        const family = typeof o.first === 'number' ? 4 : 6;
        const interval = intervalEvidence({ family, first: BigInt(o.first), last: BigInt(o.last) });
        const winner = selectConnector(policy, { server: a.server, port, localAddress: o.local }, interval.first);
        return { interval, kind: o.kind, ranges: { [a.identity]: rangeEvidence(o.a), [b.identity]: rangeEvidence(o.b) }, winner: winner?.identity ?? null };
      });
      const firstOverlap = evidence[0] as { interval: { expression: string }; winner: string | null };
      const sa = relaySignature(policy, a);
      const sb = relaySignature(policy, b);
      out.push({
        connector: a,
        message: `${a.identity} and ${b.identity} partly overlap on port ${port} (${firstOverlap.interval.expression}${overlaps.length > 1 ? ` and ${overlaps.length - 1} more` : ''}, won by ${firstOverlap.winner ?? 'neither'}) but differ in relay rights`,
        evidence: {
          connectors: [a.identity, b.identity],
          port,
          overlaps: evidence,
          overlapCount: overlaps.length,
          relay: { [a.identity]: sa, [b.identity]: sb },
        },
      });
    }
    return out;
  },
});
