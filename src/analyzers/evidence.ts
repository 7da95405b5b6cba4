// Shared pieces of evidence: where a connector is actually selected (over the engine's
// intervals, never by enumerating addresses), and where each right came from.
import type { JsonValue } from '../json.js';
import type { ReceiveConnector } from '../model.js';
import {
  effectiveRights, formatAddress, intervalSize, intervalsWonBy, publicParts,
  type EffectiveRight, type Interval, type PolicyIndex, type Principal, type RightSource, type WonInterval,
} from '../policy/index.js';
import { EVIDENCE_LIMIT } from './rule.js';

/** Where a connector is the selected one: the intervals it wins, their size and their public parts. */
export interface Reach {
  won: WonInterval[];
  /** Addresses (over all families, distinct) for which the connector is selected. */
  breadth: bigint;
  /** The public sub-intervals of `won` (rules.md "Public address"), with the range that wins each. */
  publicParts: Array<{ interval: Interval; won: WonInterval }>;
}

const reachCache = new WeakMap<PolicyIndex, Map<ReceiveConnector, Reach>>();

export function reachOf(policy: PolicyIndex, connector: ReceiveConnector): Reach {
  let cache = reachCache.get(policy);
  if (cache === undefined) { cache = new Map(); reachCache.set(policy, cache); }
  const hit = cache.get(connector);
  if (hit !== undefined) return hit;
  const won = intervalsWonBy(policy, connector);
  // The same address can be won through several bindings (e.g. 0.0.0.0:25 and 0.0.0.0:2525);
  // breadth counts distinct addresses, so merge per family first.
  const merged = mergeIntervals(won);
  let breadth = 0n;
  for (const i of merged) breadth += intervalSize(i);
  const pub: Reach['publicParts'] = [];
  for (const w of won) for (const p of publicParts(w)) pub.push({ interval: p, won: w });
  const reach = { won, breadth, publicParts: pub };
  cache.set(connector, reach);
  return reach;
}

export function mergeIntervals(list: readonly Interval[]): Interval[] {
  const sorted = [...list].sort((a, b) => a.family - b.family || (a.first < b.first ? -1 : a.first > b.first ? 1 : 0));
  const out: Interval[] = [];
  for (const i of sorted) {
    const prev = out[out.length - 1];
    if (prev !== undefined && prev.family === i.family && i.first <= prev.last + 1n) {
      if (i.last > prev.last) prev.last = i.last;
    } else out.push({ family: i.family, first: i.first, last: i.last });
  }
  return out;
}

/** `{expression, first, last}` for an interval; the expression is Exchange's `a-b` syntax (or one address). */
export function intervalEvidence(i: Interval): { expression: string; first: string; last: string } {
  const first = formatAddress(i.family, i.first);
  const last = formatAddress(i.family, i.last);
  return { expression: first === last ? first : cidrOf(i) ?? `${first}-${last}`, first, last };
}

/** `10.0.0.0/24` when the interval is exactly one CIDR block, else null. */
function cidrOf(i: Interval): string | null {
  const size = i.last - i.first + 1n;
  if ((size & (size - 1n)) !== 0n || i.first % size !== 0n) return null;
  const width = i.family === 4 ? 32 : 128;
  let bits = 0;
  for (let s = size; s > 1n; s >>= 1n) bits++;
  return `${formatAddress(i.family, i.first)}/${width - bits}`;
}

/** Address counts as decimal strings: all of IPv6 does not fit a JSON number. */
export function countText(n: bigint): string {
  return n.toString();
}

export function sourceEvidence(s: RightSource): { [key: string]: JsonValue } {
  return s.kind === 'group'
    ? { kind: 'group', group: s.group, principal: s.principal }
    : { kind: 'permission', user: s.user, deny: s.deny, inherited: s.inherited };
}

export function describeSource(s: RightSource): string {
  if (s.kind === 'group') return `permission group ${s.group} (${s.principal})`;
  return `AD entry ${s.user} (${s.inherited ? 'inherited' : 'explicit'} ${s.deny ? 'Deny' : 'Allow'})`;
}

export function rightEvidence(r: EffectiveRight): { [key: string]: JsonValue } {
  return { right: r.right, allowed: r.allowed, grantedBy: r.grantedBy.map(sourceEvidence), deniedBy: r.deniedBy.map(sourceEvidence) };
}

/** The named rights of a principal with their sources (rights the principal never got appear as not allowed). */
export function rightsOf(policy: PolicyIndex, connector: ReceiveConnector, who: Principal, names: readonly string[]): EffectiveRight[] {
  const all = effectiveRights(policy, connector, who);
  return names.map((name) => all.find((r) => r.right.toLowerCase() === name.toLowerCase())
    ?? { right: name, allowed: false, grantedBy: [], deniedBy: [] });
}

/** "ms-Exch-SMTP-Accept-Any-Recipient from AD entry NT AUTHORITY\ANONYMOUS LOGON (explicit Allow)". */
export function describeRight(r: EffectiveRight): string {
  const from = r.allowed ? r.grantedBy : r.deniedBy;
  return `${r.right}${from.length > 0 ? ` ${r.allowed ? 'from' : 'denied by'} ${from.map(describeSource).join(' and ')}` : ''}`;
}

/** Distinct configured ranges behind a list of won intervals, in first-seen order. */
export function rangesBehind(won: readonly WonInterval[]): Array<{ expression: string; first: string; last: string }> {
  const seen = new Set<string>();
  const out: Array<{ expression: string; first: string; last: string }> = [];
  for (const w of won) {
    const key = `${w.range.expression}|${w.range.first}|${w.range.last}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ expression: w.range.expression, first: w.range.first, last: w.range.last });
  }
  return out;
}

/** A list with its overflow, as evidence: at most EVIDENCE_LIMIT items. */
export function listEvidence<T extends JsonValue>(items: T[]): T[] {
  return items.slice(0, EVIDENCE_LIMIT);
}

export function shortList(items: readonly string[], limit = 3): string {
  if (items.length <= limit) return items.join(', ');
  return `${items.slice(0, limit).join(', ')} and ${items.length - limit} more`;
}
