// What the fix generators of the rules share (rules.md "Fixes"): statements written the way the
// Exchange Management Shell runs them as pasted — every value through psQuote, every cmdlet
// with `-ErrorAction Stop` so a refused step stops the script instead of leaving a half-applied
// change — and the facts a generator needs before it may offer a script (is there a certificate
// STARTTLS can present?). Only forms the `apply` dry run interprets are written: single
// Set-/Remove-ReceiveConnector, Add-/Remove-ADPermission and Remove-AcceptedDomain statements,
// no pipelines, no Select-Object, no placeholders.
import { certificatesCovering, connectorFqdn, isExpired, presentedCertificate } from '../certificates.js';
import type { AuthMechanism, Certificate, IpRange, ReceiveConnector, Snapshot } from '../model.js';
import { bindingsOverlap, intervalRelation, tryRangeInterval, type Interval } from '../net/index.js';
import { rangeClashPartners } from '../policy/index.js';
import { psQuote } from '../powershell/quote.js';
import type { FindingDraft, FixCandidate } from './rule.js';

/** `Set-ReceiveConnector -Identity '…' <settings> -ErrorAction Stop`. */
export function setConnector(c: ReceiveConnector, settings: string): string {
  return `Set-ReceiveConnector -Identity ${psQuote(c.identity)} ${settings} -ErrorAction Stop`;
}

/** AuthMechanism as one quoted flags value: the connector's own mechanisms with `add`, without `remove`. */
export function authMechanismSetting(c: ReceiveConnector, add: readonly AuthMechanism[], remove: readonly AuthMechanism[] = []): string {
  // The model holds `None` as the empty list, so nothing has to be taken out for it.
  const kept = c.authMechanism.filter((m) => !remove.includes(m));
  return `-AuthMechanism ${psQuote([...new Set([...kept, ...add])].join(', '))}`;
}

/** `<I>issuer<S>subject`, the TlsCertificateName form (reference §1.2, §3.2). */
export function tlsCertificateName(cert: Certificate): string {
  return `<I>${cert.issuer}<S>${cert.subject}`;
}

/**
 * The certificate STARTTLS would present on `c` today when it is valid on `now`, else null.
 * The session model assumes a usable certificate wherever Tls is set (setup's self-signed one),
 * so a generator that turns TLS on must check this itself: without one, Exchange does not
 * advertise STARTTLS (reference §3.3) and BasicAuthRequireTLS would lock every client out.
 */
export function usableCertificate(snapshot: Snapshot, c: ReceiveConnector, now: Date): Certificate | null {
  const presented = presentedCertificate(snapshot, c, now);
  return presented === null || presented.expired ? null : presented.certificate;
}

/**
 * Valid certificates with the SMTP service on the connector's server whose names cover its Fqdn,
 * latest expiry first (ties by thumbprint, so the choice is reproducible). Only SMTP ones: that
 * a certificate named by TlsCertificateName is presented without the SMTP service is not
 * confirmed (published guidance enables it for SMTP first).
 */
export function validSmtpCertificatesForFqdn(snapshot: Snapshot, c: ReceiveConnector, now: Date): Certificate[] {
  const fqdn = connectorFqdn(snapshot, c);
  if (fqdn === null) return [];
  return certificatesCovering(snapshot.certificates, c.server, fqdn).filter((cert) => !isExpired(cert, now))
    .sort((a, b) => Date.parse(b.notAfter) - Date.parse(a.notAfter) || (a.thumbprint < b.thumbprint ? -1 : 1));
}

/** "CN=mail.corp.example (thumbprint 1A2B…, expires 2027-01-01)" for manual texts. */
export function describeCertificate(cert: Certificate): string {
  return `${cert.subject} (thumbprint ${cert.thumbprint}, ${cert.notAfter.slice(0, 10)})`;
}

/** For a draft that names no connector although the rule speaks about one (never expected). */
export function withConnector(draft: FindingDraft, make: (c: ReceiveConnector) => FixCandidate): FixCandidate {
  const c = draft.connector;
  return c === null || c === undefined ? { manual: 'The finding names no connector, so no change can be written for it: review it by hand.' } : make(c);
}

/**
 * Why Exchange would refuse any Set-ReceiveConnector on `c` (with `ranges` as its remote ranges):
 * it validates the whole connector against every other one of its server, disabled ones
 * included (reference §4.4) — a binding shared with the other transport role, equal ranges on
 * the same binding, or partly overlapping ranges on overlapping bindings. Null when it would not.
 */
export function conflictOf(connectors: readonly ReceiveConnector[], c: ReceiveConnector, ranges: readonly IpRange[] = c.remoteIPRanges): string | null {
  const mates = connectorsOfServer(connectors, c.server);
  // With its own ranges, only the connectors of the other role and those whose ranges clash with
  // c's (one index per server) can make Exchange refuse; the others are skipped unread.
  const partners = ranges === c.remoteIPRanges ? rangeClashPartners(mates) : null;
  for (const o of mates) {
    if (o === c || o.identity.toLowerCase() === c.identity.toLowerCase()) continue;
    if (partners !== null && (o.transportRole ?? '') === (c.transportRole ?? '') && !partners.mayClash(c, o)) continue;
    for (const b1 of c.bindings) {
      for (const b2 of o.bindings) {
        if (!bindingsOverlap(b1, b2)) continue;
        if ((o.transportRole ?? '') !== (c.transportRole ?? '')) return `${c.identity} shares a binding with ${o.identity} of the other transport role`;
        const identical = b1.address.toLowerCase() === b2.address.toLowerCase() && b1.port === b2.port;
        const clash = rangeClash(ranges, o.remoteIPRanges, identical);
        if (clash !== null) return `${clash.mine.expression} of ${c.identity} and ${clash.theirs.expression} of ${o.identity} ${clash.relation === 'equal' ? 'are equal on the same binding' : 'partly overlap'}`;
      }
    }
  }
  return null;
}

const byServerCache = new WeakMap<readonly ReceiveConnector[], Map<string, ReceiveConnector[]>>();

/** The connectors of one server, in their order, from an index built once per connector list. */
function connectorsOfServer(connectors: readonly ReceiveConnector[], server: string): readonly ReceiveConnector[] {
  let index = byServerCache.get(connectors);
  if (index === undefined) {
    index = new Map();
    for (const o of connectors) {
      const key = o.server.toLowerCase();
      const list = index.get(key);
      if (list === undefined) index.set(key, [o]); else list.push(o);
    }
    byServerCache.set(connectors, index);
  }
  return index.get(server.toLowerCase()) ?? [];
}

interface SortedRange { interval: Interval; range: IpRange; index: number }
interface SortedRanges { entries: SortedRange[]; /** running maximum of `last` (per family run) */ maxLast: bigint[]; /** each range's interval, in the list's order */ intervals: Array<Interval | null> }

const sortedCache = new WeakMap<readonly IpRange[], SortedRanges>();

/** A connector's ranges parsed and sorted by family and first address, once per list. */
function sortedRanges(ranges: readonly IpRange[]): SortedRanges {
  const known = sortedCache.get(ranges);
  if (known !== undefined) return known;
  const entries: SortedRange[] = [];
  const intervals = ranges.map((range, index) => {
    const interval = tryRangeInterval(range);
    if (interval !== null) entries.push({ interval, range, index });
    return interval;
  });
  entries.sort((x, y) => x.interval.family - y.interval.family || (x.interval.first < y.interval.first ? -1 : x.interval.first > y.interval.first ? 1 : 0));
  const maxLast: bigint[] = [];
  entries.forEach((e, i) => {
    const prev = entries[i - 1];
    const before = prev !== undefined && prev.interval.family === e.interval.family ? maxLast[i - 1] ?? e.interval.last : e.interval.last;
    maxLast.push(before > e.interval.last ? before : e.interval.last);
  });
  const sorted = { entries, maxLast, intervals };
  sortedCache.set(ranges, sorted);
  return sorted;
}

/**
 * The first range of `mine` (in its order) that partly overlaps a range of `theirs`, or equals
 * one when the bindings are identical, with the first such range of `theirs`. A sweep over the
 * sorted lists: a fix generator asks this for every finding, and relay connectors carry
 * thousands of ranges (pairwise it cost seconds per finding on large estates).
 */
function rangeClash(mine: readonly IpRange[], theirs: readonly IpRange[], identical: boolean): { mine: IpRange; theirs: IpRange; relation: 'equal' | 'partial' } | null {
  const other = sortedRanges(theirs);
  const own = sortedRanges(mine).intervals;
  for (const [index, range] of mine.entries()) {
    const i1 = own[index] ?? null;
    if (i1 === null) continue;
    // Entries starting at or before i1.last; walk back while some earlier one may still reach i1.first.
    let lo = 0;
    let hi = other.entries.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const e = (other.entries[mid] as SortedRange).interval;
      if (e.family < i1.family || (e.family === i1.family && e.first <= i1.last)) lo = mid + 1; else hi = mid;
    }
    let best: SortedRange | null = null;
    let bestRelation: 'equal' | 'partial' = 'partial';
    for (let j = lo - 1; j >= 0; j--) {
      const e = other.entries[j] as SortedRange;
      if (e.interval.family !== i1.family || (other.maxLast[j] as bigint) < i1.first) break;
      const relation = intervalRelation(i1, e.interval);
      if ((relation === 'partial' || (relation === 'equal' && identical)) && (best === null || e.index < best.index)) { best = e; bestRelation = relation; }
    }
    if (best !== null) return { mine: range, theirs: best.range, relation: bestRelation };
  }
  return null;
}

/** Advice for a change Exchange would refuse until a conflict of the connector is resolved. */
export function blockedByConflict(c: ReceiveConnector, conflict: string, change: string): FixCandidate {
  return { manual: `Exchange refuses every change to ${c.identity} while ${conflict} (see the port-conflict, duplicate-connector-scope or overlapping-remote-ranges finding): resolve that first, then ${change}` };
}
