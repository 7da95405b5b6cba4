import type { JsonValue } from '../../json.js';
import type { ReceiveConnector, Snapshot } from '../../model.js';
import { EVIDENCE_LIMIT, defineRule, isCustomConnector, type FindingDraft } from '../rule.js';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The connector's name with its server's name taken out (`Relay EX01` → `Relay`); compared case-insensitively. */
export function sharedName(c: ReceiveConnector): string {
  const re = new RegExp(`(^|[\\s_.-])${escapeRegExp(c.server)}(?=$|[\\s_.-])`, 'gi');
  return c.name.replace(re, ' ').replace(/[\s_.-]+$/, '').replace(/\s+/g, ' ').trim();
}

/** 2010 hubs and 2013+ Mailbox servers have different default connectors: compare like with like. */
function generation(snapshot: Snapshot, c: ReceiveConnector): string {
  const version = snapshot.servers.find((s) => s.name.toLowerCase() === c.server.toLowerCase())?.version ?? '';
  return c.transportRole === null || /Version 14\./i.test(version) ? '2010' : '2013+';
}

// first/last are RFC 5952 in the snapshot (contract), so the text compares as the address.
const rangeKey = (r: { first: string; last: string }): string => `${r.first.toLowerCase()}-${r.last.toLowerCase()}`;
const setKey = (xs: readonly string[]): string => [...new Set(xs)].sort().join(',');

export default defineRule({
  meta: {
    id: 'connector-inconsistent-across-servers',
    defaultSeverity: 'medium',
    title: 'The same connector differs between servers',
    description: 'Connectors that are the same connector on several servers (same name once the server name is removed) differ in remote ranges, permission groups or auth, or exist on only some of the servers that have the others.',
    remediation: "# Make every copy match the intended one, e.g.:\nSet-ReceiveConnector -Identity {identity} -RemoteIPRanges (Get-ReceiveConnector -Identity <the reference copy>).RemoteIPRanges",
    references: ['https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors'],
    dependsOn: ['Enabled', 'TransportRole', 'RemoteIPRanges', 'PermissionGroups', 'AuthMechanism'],
    wording: {
      impact: 'The same client gets different answers depending on which server it reaches; a failover or a load balancer changes behaviour.',
      action: 'Align the connector on every server',
    },
  },
  check: ({ snapshot }) => {
    const groups = new Map<string, ReceiveConnector[]>();
    for (const c of snapshot.connectors) {
      if (!c.enabled) continue;
      const key = `${generation(snapshot, c)}|${c.transportRole ?? ''}|${sharedName(c).toLowerCase()}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const serversOf = (list: ReceiveConnector[]): Set<string> => new Set(list.map((c) => c.server.toLowerCase()));
    const display = new Map(snapshot.connectors.map((c) => [c.server.toLowerCase(), c.server]));
    // "The servers that have the others": servers sharing at least one other connector name
    // with a server of this group — custom names for custom connectors (a dedicated relay
    // server beside plain mailbox servers is not an inconsistency), any name for setup's.
    const multi = [...groups.entries()].filter(([, list]) => serversOf(list).size > 1);
    const out: FindingDraft[] = [];
    for (const [key, list] of groups) {
      const members = [...list].sort((a, b) => (a.server.toLowerCase() < b.server.toLowerCase() ? -1 : 1));
      const first = members[0] as ReceiveConnector;
      const custom = isCustomConnector(first);
      const gen = key.split('|')[0];
      const memberServers = serversOf(members);
      const peers = new Set<string>();
      for (const [otherKey, otherList] of multi) {
        if (otherKey === key || otherKey.split('|')[0] !== gen) continue;
        if (custom && !isCustomConnector(otherList[0] as ReceiveConnector)) continue;
        if (!custom && isCustomConnector(otherList[0] as ReceiveConnector)) continue;
        const s = serversOf(otherList);
        if ([...s].some((x) => memberServers.has(x))) for (const x of s) peers.add(x);
      }
      const missingOn = [...peers].filter((s) => !memberServers.has(s)).sort().map((s) => display.get(s) ?? s);
      const differences: Record<string, JsonValue> = {};
      const diffText: string[] = [];
      if (members.length > 1) {
        const compare = (label: string, valueOf: (c: ReceiveConnector) => string[]): void => {
          const keys = members.map((c) => setKey(valueOf(c)));
          if (new Set(keys).size <= 1) return;
          differences[label] = members.map((c) => ({ server: c.server, connector: c.identity, value: valueOf(c).slice(0, EVIDENCE_LIMIT) }));
          diffText.push(label);
        };
        compare('permissionGroups', (c) => [...c.permissionGroups]);
        compare('authMechanism', (c) => [...c.authMechanism]);
        const rangeSets = members.map((c) => new Set(c.remoteIPRanges.map(rangeKey)));
        const union = new Map<string, { expression: string; first: string; last: string }>();
        for (const c of members) for (const r of c.remoteIPRanges) if (!union.has(rangeKey(r))) union.set(rangeKey(r), { expression: r.expression, first: r.first, last: r.last });
        if (rangeSets.some((s) => s.size !== union.size)) {
          differences.remoteIPRanges = members.map((c, i) => {
            const own = rangeSets[i] as Set<string>;
            const missing = [...union.entries()].filter(([k]) => !own.has(k)).map(([, r]) => r);
            return { server: c.server, connector: c.identity, rangeCount: own.size, missing: missing.slice(0, EVIDENCE_LIMIT), missingCount: missing.length };
          });
          diffText.push('remote ranges');
        }
      }
      if (missingOn.length === 0 && diffText.length === 0) continue;
      const what = [
        diffText.length > 0 ? `differ in ${diffText.join(', ')}` : null,
        missingOn.length > 0 ? `missing on ${missingOn.join(', ')}` : null,
      ].filter((x) => x !== null).join('; ');
      out.push({
        connector: first,
        message: `"${sharedName(first)}" (${members.map((c) => c.server).join(', ')}): ${what}`,
        evidence: {
          name: sharedName(first),
          servers: members.map((c) => c.server),
          connectors: members.map((c) => c.identity),
          missingOn,
          differences,
        },
      });
    }
    return out;
  },
});
