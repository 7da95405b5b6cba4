import type { JsonValue } from '../../json.js';
import type { ReceiveConnector } from '../../model.js';
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
function generation(versions: ReadonlyMap<string, string>, c: ReceiveConnector): string {
  const version = versions.get(c.server.toLowerCase()) ?? '';
  return c.transportRole === null || /Version 14\./i.test(version) ? '2010' : '2013+';
}

// first/last are RFC 5952 in the snapshot (contract), so the text compares as the address.
const rangeKey = (r: { first: string; last: string }): string => `${r.first.toLowerCase()}-${r.last.toLowerCase()}`;
const setKey = (xs: readonly string[]): string => [...new Set(xs)].sort().join(',');

// A type alias (not an interface) so that it is a JsonValue.
type RangeView = { expression: string; first: string; last: string };

/**
 * Per member, the ranges of the group's union it lacks: the first EVIDENCE_LIMIT in union order
 * (members in order, each member's ranges in order, first occurrence) and how many in all; null
 * when every member has the whole union. The missing ranges are counted, never listed: with
 * 200 copies of a connector and tens of thousands of ranges, listing them is members × union.
 * Each range is keyed once, and a member's first missing ranges are found by walking only the
 * ranges some member lacks, so the work is the number of ranges plus members × EVIDENCE_LIMIT.
 */
function rangeDifferences(members: readonly ReceiveConnector[]): JsonValue[] | null {
  const unionIndex = new Map<string, number>();
  const union: RangeView[] = [];
  const owned: number[][] = [];
  for (const c of members) {
    const own: number[] = [];
    for (const r of c.remoteIPRanges) {
      const key = rangeKey(r);
      let u = unionIndex.get(key);
      if (u === undefined) {
        u = union.length;
        unionIndex.set(key, u);
        union.push({ expression: r.expression, first: r.first, last: r.last });
      }
      own.push(u);
    }
    owned.push(own);
  }
  // How many members hold each union range (each member counted once, however often it lists it).
  const holders = new Int32Array(union.length);
  const stamp = new Int32Array(union.length).fill(-1);
  const sizes = owned.map((own, m) => {
    let size = 0;
    for (const u of own) {
      if (stamp[u] === m) continue;
      stamp[u] = m;
      holders[u] = (holders[u] ?? 0) + 1;
      size++;
    }
    return size;
  });
  if (sizes.every((n) => n === union.length)) return null;
  // Union ranges some member lacks, in union order: the only candidates for "missing".
  const partial: number[] = [];
  for (let u = 0; u < union.length; u++) if ((holders[u] ?? 0) < members.length) partial.push(u);
  stamp.fill(-1);
  return members.map((c, m) => {
    for (const u of owned[m] as number[]) stamp[u] = m;
    const missing: RangeView[] = [];
    for (let k = 0; k < partial.length && missing.length < EVIDENCE_LIMIT; k++) {
      const u = partial[k] as number;
      if (stamp[u] !== m) missing.push({ ...(union[u] as RangeView) });
    }
    const rangeCount = sizes[m] as number;
    return { server: c.server, connector: c.identity, rangeCount, missing, missingCount: union.length - rangeCount };
  });
}

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
    // The first server of a name wins, as a find over the list did.
    const versions = new Map<string, string>();
    for (const s of [...snapshot.servers].reverse()) versions.set(s.name.toLowerCase(), s.version ?? '');
    const groups = new Map<string, ReceiveConnector[]>();
    for (const c of snapshot.connectors) {
      if (!c.enabled) continue;
      const key = `${generation(versions, c)}|${c.transportRole ?? ''}|${sharedName(c).toLowerCase()}`;
      const list = groups.get(key);
      if (list === undefined) groups.set(key, [c]); else list.push(c);
    }
    const serversOf = (list: ReceiveConnector[]): Set<string> => new Set(list.map((c) => c.server.toLowerCase()));
    const display = new Map(snapshot.connectors.map((c) => [c.server.toLowerCase(), c.server]));
    // "The servers that have the others": servers sharing at least one other connector name
    // with a server of this group — custom names for custom connectors (a dedicated relay
    // server beside plain mailbox servers is not an inconsistency), any name for setup's.
    const multi = [...groups.entries()].map(([k, list]) => ({ key: k, gen: k.split('|')[0], custom: isCustomConnector(list[0] as ReceiveConnector), servers: serversOf(list) }))
      .filter((g) => g.servers.size > 1);
    const out: FindingDraft[] = [];
    for (const [key, list] of groups) {
      const members = [...list].sort((a, b) => (a.server.toLowerCase() < b.server.toLowerCase() ? -1 : 1));
      const first = members[0] as ReceiveConnector;
      const custom = isCustomConnector(first);
      const gen = key.split('|')[0];
      const memberServers = serversOf(members);
      const peers = new Set<string>();
      for (const other of multi) {
        if (other.key === key || other.gen !== gen || other.custom !== custom) continue;
        if ([...other.servers].some((x) => memberServers.has(x))) for (const x of other.servers) peers.add(x);
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
        const ranges = rangeDifferences(members);
        if (ranges !== null) {
          differences.remoteIPRanges = ranges;
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
