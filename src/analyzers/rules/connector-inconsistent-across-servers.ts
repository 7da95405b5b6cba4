import type { JsonValue } from '../../json.js';
import type { IpRange, ReceiveConnector } from '../../model.js';
import { canRelayAnonymously } from '../../policy/index.js';
import { mergeIntervals, reachOf } from '../evidence.js';
import { conflictOf } from '../fixes.js';
import { hostRange, hostsToKeep, observedSendersOn } from '../relay-fixes.js';
import { EVIDENCE_LIMIT, defineRule, isCustomConnector, psQuote, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';
import { openRelayTier } from './anonymous-open-relay.js';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The connector's name with its server's name taken out (`Relay EX01` → `Relay`); compared case-insensitively. */
export function sharedName(c: ReceiveConnector): string {
  const known = sharedNames.get(c);
  if (known !== undefined) return known;
  const re = new RegExp(`(^|[\\s_.-])${escapeRegExp(c.server)}(?=$|[\\s_.-])`, 'gi');
  const name = c.name.replace(re, ' ').replace(/[\s_.-]+$/, '').replace(/\s+/g, ' ').trim();
  sharedNames.set(c, name);
  return name;
}

// The check and every copy's fix ask for the same names: one regular expression per connector, not per call.
const sharedNames = new WeakMap<ReceiveConnector, string>();

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
  // Ranges compared as rangeKey does. Single addresses (most of a big relay list) are keyed by
  // their one address, which needs no new string; no rangeKey of another range equals
  // `a-a` for an address without a dash, so the two tables never disagree with one keyed by rangeKey.
  const hostIndex = new Map<string, number>();
  const unionIndex = new Map<string, number>();
  const union: RangeView[] = [];
  const owned: Int32Array[] = [];
  for (const c of members) {
    const own = new Int32Array(c.remoteIPRanges.length);
    let n = 0;
    for (const r of c.remoteIPRanges) {
      const first = r.first.toLowerCase();
      const last = r.last.toLowerCase();
      const host = first === last && !first.includes('-');
      const table = host ? hostIndex : unionIndex;
      const key = host ? first : `${first}-${last}`;
      let u = table.get(key);
      if (u === undefined) {
        u = union.length;
        table.set(key, u);
        union.push({ expression: r.expression, first: r.first, last: r.last });
      }
      own[n++] = u;
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
    for (const u of owned[m] as Int32Array) stamp[u] = m;
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
    scope: 'organisation',
    defaultSeverity: 'medium',
    title: 'The same connector differs between servers',
    description: 'Connectors that are the same connector on several servers (same name once the server name is removed) differ in remote ranges, permission groups or auth, or exist on only some of the servers that have the others.',
    remediation: 'Decide which copy is the intended one, then align the others (Set-ReceiveConnector -RemoteIPRanges @{Add=…; Remove=…}, -PermissionGroups, -AuthMechanism) or create the connector on the servers that lack it.',
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
  remediation: (draft) => inconsistentConnectorAdvice(draft),
  fix: (draft, context) => alignCopiesFix(draft, context),
});

// ---------------------------------------------------------------- the fix (advice only)

const textOf = (v: JsonValue | undefined): string => (typeof v === 'string' ? v : '');
const strings = (v: JsonValue | undefined): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
const records = (v: JsonValue | undefined): Array<Record<string, JsonValue>> => (Array.isArray(v)
  ? v.filter((x): x is Record<string, JsonValue> => x !== null && typeof x === 'object' && !Array.isArray(x)) : []);

/**
 * Which copy is right, and which servers should carry a connector at all, are the customer's
 * decisions (widening one copy's ranges to match another widens who may relay there), so the
 * fix is advice: it names every copy, what each lacks, and the commands that align them.
 */
function inconsistentConnectorAdvice(draft: FindingDraft): string {
  let advice = adviceOf.get(draft);
  if (advice === undefined) { advice = writeAdvice(draft); adviceOf.set(draft, advice); }
  return advice;
}

// The fix and the remediation of a finding both start from its advice (tens of kilobytes on
// an estate of 200 servers): written once per finding.
const adviceOf = new WeakMap<FindingDraft, string>();

function writeAdvice(draft: FindingDraft): string {
  const e = draft.evidence;
  const name = typeof e['name'] === 'string' ? e['name'] : draft.connector?.name ?? 'the connector';
  const servers = strings(e['servers']);
  const missingOn = strings(e['missingOn']);
  const differences = e['differences'];
  const diff = differences !== null && typeof differences === 'object' && !Array.isArray(differences) ? differences : {};
  const parts: string[] = [];
  const ranges = records(diff['remoteIPRanges']);
  if (ranges.length > 0) {
    const lacks = ranges.filter((r) => typeof r['missingCount'] === 'number' && r['missingCount'] > 0).map((r) => {
      const shown = records(r['missing']).slice(0, 5).map((x) => textOf(x['expression']));
      const count = typeof r['missingCount'] === 'number' ? r['missingCount'] : shown.length;
      return `${textOf(r['connector']) || textOf(r['server'])} lacks ${shown.join(', ')}${count > shown.length ? ` and ${count - shown.length} more` : ''}`;
    });
    parts.push(`remote ranges (${lacks.join('; ')})`);
  }
  for (const [label, property] of [['permissionGroups', 'PermissionGroups'], ['authMechanism', 'AuthMechanism']] as const) {
    const rows = records(diff[label]);
    if (rows.length > 0) parts.push(`${property} (${rows.map((r) => `${textOf(r['server'])}: ${strings(r['value']).join(', ') || 'None'}`).join('; ')})`);
  }
  const sentences = [`"${name}" is one connector on ${servers.join(', ')}, but the copies differ, so a client is answered differently depending on the server it reaches (a load balancer or a failover changes its rights).`];
  if (parts.length > 0) {
    sentences.push(`They differ in ${parts.join('; ')}. Decide which copy is the intended one: adding the missing ranges widens who may use the other copies, removing them narrows it. Then align the others with Set-ReceiveConnector (-RemoteIPRanges @{Add=…} or @{Remove=…}, -PermissionGroups, -AuthMechanism), and check the result with exrelay apply and exrelay audit.`);
  }
  if (missingOn.length > 0) {
    sentences.push(`It does not exist on ${missingOn.join(', ')}, which carry the organisation's other connectors. Decide whether clients can reach those servers (DNS, load balancer, failover); if so, create it there with the intended copy's bindings, ranges, groups and AD permissions.`);
  }
  return sentences.join(' ');
}

/**
 * Copies that differ only in their remote ranges can be made to agree where that widens or
 * narrows nothing the audit objects to:
 * - when no copy is an open relay, every copy gets the ranges the others have (the hosts are
 *   already trusted on a sibling server, and a load balancer or a failover sends them anywhere);
 *   the verifier refuses it if the union raises any finding of equal or higher severity;
 * - when a copy is an open relay and the logs were given, every copy becomes the hosts seen
 *   relaying through any of them (the open-relay finding's own fix, so the two agree).
 * Missing copies, or differences in groups or authentication, stay the customer's decision.
 */
function alignCopiesFix(draft: FindingDraft, context: RuleContext): FixCandidate {
  const advice = inconsistentConnectorAdvice(draft);
  const e = draft.evidence;
  const diff = e['differences'];
  const differences = diff !== null && typeof diff === 'object' && !Array.isArray(diff) ? Object.keys(diff) : [];
  if (strings(e['missingOn']).length > 0 || differences.length !== 1 || differences[0] !== 'remoteIPRanges') return { manual: advice };
  const identities = new Set(strings(e['connectors']).map((x) => x.toLowerCase()));
  const members = context.snapshot.connectors.filter((c) => identities.has(c.identity.toLowerCase()));
  if (members.length !== identities.size || members.length < 2) return { manual: advice };
  const open = members.some((c) => {
    if (!canRelayAnonymously(context.policy, c)) return false;
    const reach = reachOf(context.policy, c);
    return openRelayTier(mergeIntervals(reach.publicParts.map((p) => p.interval)), reach.breadth) !== null;
  });
  const identitiesOf = members.map((c) => c.identity);
  if (open) {
    const rows = members.map((c) => observedSendersOn(context, c));
    if (rows.some((r) => r === null) || !members.every((c) => canRelayAnonymously(context.policy, c))) return { manual: advice };
    const hosts = hostsToKeep(rows.flatMap((r) => r ?? []));
    if (hosts.length === 0) return { manual: advice };
    const blocked = members.map((c) => conflictOf(context.snapshot.connectors, c, hosts.map(hostRange))).find((x) => x !== null);
    if (blocked !== undefined && blocked !== null) return { manual: `${advice} Exchange refuses changes to the copies while ${blocked}: resolve that first.` };
    return {
      script: members.map((c) => `Set-ReceiveConnector -Identity ${psQuote(c.identity)} -RemoteIPRanges ${hosts.map(psQuote).join(',')} -ErrorAction Stop`).join('\n'),
      fallback: `${advice} The logs saw ${hosts.join(', ')} relay through the copies: giving every copy exactly those hosts makes them agree and closes the open relay.`,
      changesRelayHostsOf: identitiesOf,
    };
  }
  // Each range is keyed once and numbered in union order (first occurrence); a copy's missing
  // ranges are the numbers it does not hold, found with a stamp per copy instead of a set of
  // key strings per copy, and each range is quoted once for every copy that lacks it (copies ×
  // union lookups and quotes were most of this fix on estates of 40-200 copies).
  const union: IpRange[] = [];
  const unionIndex = new Map<string, number>();
  const owned = members.map((c) => c.remoteIPRanges.map((r) => {
    const key = rangeKey(r);
    let u = unionIndex.get(key);
    if (u === undefined) { u = union.length; unionIndex.set(key, u); union.push(r); }
    return u;
  }));
  const quoted: Array<string | undefined> = new Array<string | undefined>(union.length);
  const quote = (u: number): string => (quoted[u] ??= psQuote((union[u] as IpRange).expression));
  const stamp = new Int32Array(union.length).fill(-1);
  let blocked: string | null = null;
  const lines: string[] = [];
  members.forEach((c, m) => {
    for (const u of owned[m] as number[]) stamp[u] = m;
    const missing: number[] = [];
    for (let u = 0; u < union.length; u++) if (stamp[u] !== m) missing.push(u);
    if (missing.length === 0) return;
    blocked ??= conflictOf(context.snapshot.connectors, c, [...c.remoteIPRanges, ...missing.map((u) => union[u] as IpRange)]);
    lines.push(`Set-ReceiveConnector -Identity ${psQuote(c.identity)} -RemoteIPRanges @{Add=${missing.map(quote).join(',')}} -ErrorAction Stop`);
  });
  if (blocked !== null) return { manual: `${advice} Exchange refuses changes to the copies while ${String(blocked)}: resolve that first.` };
  if (lines.length === 0) return { manual: advice };
  return { script: lines.join('\n'), fallback: `${advice} Giving every copy the ranges of the others was considered.` };
}
