import type { IpRange, Permission, ReceiveConnector, Snapshot } from '../../model.js';
import { canonicalRight, plainIpv4Span, preparePartitions, principalKey, wonIntervalCount } from '../../policy/index.js';
import { psQuote } from '../../powershell/quote.js';
import { withConnector } from '../fixes.js';
import { sharedName } from './connector-inconsistent-across-servers.js';
import { defineRule, isCustomConnector, roleKey, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';
import { bindingSetKey, formatBinding } from '../../net/index.js';

// first/last are RFC 5952 in the snapshot (contract), so the text compares as the address.
export function rangeSetKey(c: ReceiveConnector): string {
  // This rule and overlapping-remote-ranges both ask, per connector: one sorted key per range list.
  const known = rangeSetKeys.get(c.remoteIPRanges);
  if (known !== undefined) return known;
  const distinct = new Set<string>();
  for (const r of c.remoteIPRanges) distinct.add(`${r.first.toLowerCase()}-${r.last.toLowerCase()}`);
  const key = [...distinct].sort().join(',');
  rangeSetKeys.set(c.remoteIPRanges, key);
  return key;
}

const rangeSetKeys = new WeakMap<readonly IpRange[], string>();

/**
 * The lowest and highest hash of the entries of rangeSetKey(c) (`first-last`, lower case), as
 * text: connectors with equal keys have equal entry sets, so equal spans. Read from the texts
 * without a lower-case copy of each (a key is a string per range, built only where spans agree).
 */
export function rangeTextSpan(c: ReceiveConnector): string {
  let low = Infinity;
  let high = -Infinity;
  for (const r of c.remoteIPRanges) {
    let h = hashLower(r.first, 0x811c9dc5);
    h = Math.imul(h ^ 45, 0x01000193); // the dash between the bounds, as in the key
    h = hashLower(r.last, h) >>> 0;
    if (h < low) low = h;
    if (h > high) high = h;
  }
  return `${low}:${high}`;
}

/** FNV-1a over the code units of text.toLowerCase(), continuing from h. */
function hashLower(text: string, from: number): number {
  let h = from;
  for (let i = 0; i < text.length; i++) {
    let code = text.charCodeAt(i);
    // Beyond ASCII, toLowerCase is not one code unit for one (and 'K', the Kelvin sign, becomes 'k'): hash its result.
    if (code > 127) return hashUnits(text.toLowerCase(), from);
    if (code >= 65 && code <= 90) code += 32;
    h = Math.imul(h ^ code, 0x01000193);
  }
  return h;
}

function hashUnits(text: string, h: number): number {
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h;
}

/** The connector's own ACL entries (principal, allow/deny, inherited, rights), order-free. */
function aclKey(snapshot: Snapshot, c: ReceiveConnector): string {
  const id = c.identity.toLowerCase();
  const rows = snapshot.permissions.filter((p: Permission) => p.identity.toLowerCase() === id)
    .flatMap((p) => p.extendedRights.map((r) => `${principalKey(p.user)}|${p.deny ? 'deny' : 'allow'}|${p.inherited ? 'inh' : 'own'}|${canonicalRight(r).toLowerCase()}`));
  return [...new Set(rows)].sort().join(';');
}

/** Extra settings that change a session (limits, timeouts, protocol switches), as exported. */
const SESSION_EXTRA = /^(max|message|connection|tarpit|authtarpit)|enabled$|^(defaultdomain|advertiseclientsettings|requireehlodomain|suppressxanonymoustls|tlsdomaincapabilities|extendedprotectionpolicy)$/i;

/** Everything that decides how the connector answers, except protocol logging; the names of what differs. */
function behaviourDifferences(snapshot: Snapshot, a: ReceiveConnector, b: ReceiveConnector): string[] {
  const set = (xs: readonly string[]): string => [...new Set(xs.map((x) => x.toLowerCase()))].sort().join(',');
  const out: string[] = [];
  const compare = (label: string, x: unknown, y: unknown): void => { if (JSON.stringify(x) !== JSON.stringify(y)) out.push(label); };
  compare('PermissionGroups', set(a.permissionGroups), set(b.permissionGroups));
  compare('AuthMechanism', set(a.authMechanism), set(b.authMechanism));
  compare('AD permissions', aclKey(snapshot, a), aclKey(snapshot, b));
  for (const k of ['requireTLS', 'domainSecureEnabled', 'fqdn', 'tlsCertificateName', 'banner', 'maxMessageSize', 'maxRecipientsPerMessage'] as const) compare(k, a[k], b[k]);
  const extras = (c: ReceiveConnector): Record<string, string> => Object.fromEntries(Object.entries(c.extra ?? {})
    .filter(([k]) => SESSION_EXTRA.test(k)).map(([k, v]) => [k.toLowerCase(), JSON.stringify(v)]));
  const ea = extras(a);
  const eb = extras(b);
  for (const k of new Set([...Object.keys(ea), ...Object.keys(eb)])) compare(k, ea[k] ?? null, eb[k] ?? null);
  return out;
}

// Two connectors Exchange cannot tell apart: when they would answer every client the same way,
// removing the one that loses the tie changes no conversation (setup's connectors are never
// removed by a fix). When they differ, which behaviour is intended is the
// customer's decision: the advice names the differences.
function fix(draft: FindingDraft, { snapshot, policy }: RuleContext): FixCandidate {
  return withConnector(draft, (b) => {
    const a = draft.involves?.[0];
    if (a === undefined) return { manual: `Merge ${b.identity} with the connector it duplicates, then remove one of them.` };
    const differences = behaviourDifferences(snapshot, a, b);
    if (differences.length > 0) {
      return { manual: `${a.identity} and ${b.identity} serve the same bindings and ranges but differ in ${differences.join(', ')}, so which behaviour a client gets depends on AD order. Decide which is intended: keep that connector and remove the other (Remove-ReceiveConnector -Identity with its name), or give one of them the narrower ranges it is meant for.` };
    }
    // The one that loses the tie goes: the findings and the log stay with the one that answers.
    preparePartitions(policy);
    const [winner, loser] = wonIntervalCount(policy, a) > 0 || wonIntervalCount(policy, b) === 0 ? [a, b] : [b, a];
    if (!isCustomConnector(loser)) {
      return { manual: `${winner.identity} answers every client of setup's ${loser.identity} (same bindings and ranges, same settings). A fix does not remove setup's connectors: remove ${winner.identity} instead if nothing depends on its name (Remove-ReceiveConnector -Identity ${psQuote(winner.identity)}), after checking why it copies ${loser.identity}.` };
    }
    const copies = snapshot.connectors.filter((o) => o.enabled && o.server.toLowerCase() !== loser.server.toLowerCase() && sharedName(o).toLowerCase() === sharedName(loser).toLowerCase());
    if (copies.length > 0) {
      return { manual: `${loser.identity} answers exactly as ${winner.identity} and can go, but the same connector also exists as ${copies.map((o) => o.identity).join(', ')}: removing only this copy would make the servers differ. Remove it on every server together (Remove-ReceiveConnector for each copy), or keep all of them.` };
    }
    const drop = loser;
    const keep = winner;
    return {
      script: `Remove-ReceiveConnector -Identity ${psQuote(drop.identity)} -Confirm:$false -ErrorAction Stop`,
      fallback: `${drop.identity} answers exactly as ${keep.identity}; remove one of the two.`,
    };
  });
}

export default defineRule({
  meta: {
    id: 'duplicate-connector-scope',
    scope: 'server',
    defaultSeverity: 'high',
    title: 'Two connectors with the same bindings and remote ranges',
    description: 'Two enabled connectors on the same server and transport role have the same bindings and the same set of remote ranges, so Exchange cannot tell them apart.',
    remediation: 'Remove-ReceiveConnector -Identity {identity} -Confirm:$false -ErrorAction Stop   # when both answer alike; else decide which one to keep',
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
      'https://learn.microsoft.com/powershell/module/exchange/remove-receiveconnector',
    ],
    dependsOn: ['Enabled', 'Bindings', 'RemoteIPRanges', 'TransportRole'],
    wording: {
      impact: 'Exchange cannot tell the connectors apart: which one answers is undefined and may change after a restart.',
      action: 'Merge or re-scope the duplicate connectors',
    },
  },
  check: ({ snapshot, policy }) => {
    // Bucket on cheap properties first (role, bindings, number of ranges); the full range key
    // is built only where two connectors could still be equal.
    const buckets = new Map<string, ReceiveConnector[]>();
    for (const c of snapshot.connectors) {
      if (!c.enabled || c.bindings.length === 0) continue;
      const key = `${roleKey(c)}#${bindingSetKey(c.bindings)}#${c.remoteIPRanges.length}`;
      const list = buckets.get(key);
      if (list === undefined) buckets.set(key, [c]); else list.push(c);
    }
    const groups = new Map<string, ReceiveConnector[]>();
    for (const [key, list] of buckets) {
      if (list.length < 2) continue;
      // The range key spells every range out: only connectors whose spans (rangeTextSpan) meet
      // another's in the bucket can have an equal one. The others would each be alone in their
      // group, which reports nothing; groups keep the order of their first member.
      // Lists the index read as plain IPv4 span their values instead (no text read again). Equal
      // keys mean both lists are plain or neither: plain bounds are digits and dots, which no
      // other text lower-cases to. Only when the index read every list of the bucket.
      const read = list.every((c) => policy.knows(c));
      const spans = list.map((c) => (read ? plainIpv4Span(c.remoteIPRanges) : null) ?? `h${rangeTextSpan(c)}`);
      const seen = new Map<string, number>();
      for (const span of spans) seen.set(span, (seen.get(span) ?? 0) + 1);
      for (let i = 0; i < list.length; i++) {
        if (seen.get(spans[i] as string) === 1) continue;
        const c = list[i] as ReceiveConnector;
        const full = `${key}#${rangeSetKey(c)}`;
        groups.set(full, [...(groups.get(full) ?? []), c]);
      }
    }
    const out: FindingDraft[] = [];
    for (const list of groups.values()) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const a = list[i] as ReceiveConnector;
          const b = list[j] as ReceiveConnector;
          out.push({
            connector: b,
            involves: [a],
            message: `${a.identity} and ${b.identity} have the same bindings and remote ranges; which one a client gets depends on AD order`,
            evidence: {
              connectors: [a.identity, b.identity],
              bindings: a.bindings.map(formatBinding),
              remoteIPRanges: a.remoteIPRanges.slice(0, 50).map((r) => ({ expression: r.expression, first: r.first, last: r.last })),
              rangeCount: a.remoteIPRanges.length,
            },
          });
        }
      }
    }
    return out;
  },
  remediationFromFix: true,
  fix,
});
