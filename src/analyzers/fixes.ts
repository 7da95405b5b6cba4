// What the fix generators of the rules share (rules.md "Fixes"): statements written the way the
// Exchange Management Shell runs them as pasted — every value through psQuote, every cmdlet
// with `-ErrorAction Stop` so a refused step stops the script instead of leaving a half-applied
// change — and the facts a generator needs before it may offer a script (is there a certificate
// STARTTLS can present?). Only forms the `apply` dry run interprets are written: single
// New-/Set-/Remove-ReceiveConnector, Add-/Remove-ADPermission and Remove-AcceptedDomain
// statements (an accepted domain without a usable Name through one Get-AcceptedDomain |
// Where-Object pipeline), no Select-Object, no placeholders.
import { certificatesCovering, connectorFqdn, isExpired, presentedCertificate } from '../certificates.js';
import { CONNECTOR_EXTRA_SETTINGS, type AuthMechanism, type Certificate, type IpRange, type ReceiveConnector, type Snapshot } from '../model.js';
import { bindingConflict, type BindingClash } from '../policy/binding-conflict.js';
import { rangeClashPartners } from '../policy/index.js';
import { rangeSpan, type RangeClashPartners, type RangeSpan } from '../policy/range-clash.js';
import { comparePartsAt, formatBinding } from '../net/index.js';
import { psQuote } from '../powershell/quote.js';
import { isCustomConnector, type FindingDraft, type FixCandidate } from './rule.js';

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
  const clash = clashOf(connectors, c, ranges);
  return clash === null ? null : conflictText(c, clash);
}

function clashOf(connectors: readonly ReceiveConnector[], c: ReceiveConnector, ranges: readonly IpRange[]): BindingClash | null {
  const mates = connectorsOfServer(connectors, c.server);
  // Changed ranges (a fix's result): a clash comes from a range c keeps (the same object as
  // today, so one the server's clash index already pairs with the other connector) or from
  // a range it gains (which can clash only where their span meets the other's ranges). The
  // others are skipped unread.
  if (ranges !== c.remoteIPRanges) return bindingConflict(c, mates, ranges, changedPartners(c, mates, ranges));
  // With its own ranges, only the connectors of the other role and those whose ranges clash with
  // c's (one index per server) can make Exchange refuse; the others are skipped unread. Several
  // rules' checks and fixes ask this of the same connector: the answer is kept per server list
  // (as the index is), for the connector object and its range list.
  let known = ownClashes.get(mates);
  if (known === undefined) { known = new Map(); ownClashes.set(mates, known); }
  const kept = known.get(c);
  if (kept !== undefined && kept.ranges === ranges) return kept.clash;
  const clash = bindingConflict(c, mates, ranges, rangeClashPartners(mates));
  known.set(c, { ranges, clash });
  return clash;
}

/** Whether two spans share an address of the family whose bounds start at `base` (0 IPv4, 6 IPv6). */
function spansMeet(x: RangeSpan, y: RangeSpan, base: 0 | 6): boolean {
  if (base === 0 ? !x.has4 || !y.has4 : !x.has6 || !y.has6) return false;
  return comparePartsAt(x.bounds, base, y.bounds, base + 3) <= 0 && comparePartsAt(y.bounds, base, x.bounds, base + 3) <= 0;
}

/**
 * Partners for a list of ranges: another connector may clash only if its span meets theirs in
 * one family (a partial overlap or an equal range needs a shared address). Never says "cannot"
 * of a clash, so bindingConflict's answer is unchanged.
 */
function spanPartners(ranges: readonly IpRange[]): RangeClashPartners {
  // A span (rangeSpan) is asked of every connector of a server the first time a fix's changed
  // ranges are checked: bigint intervals for each of their ranges cost more than the check, and
  // the server's clash index has usually read them already.
  const mine = rangeSpan(ranges);
  return {
    mayClash(_c, other) {
      if (!('remoteIPRanges' in other) || !Array.isArray(other.remoteIPRanges)) return true;
      const theirs = rangeSpan(other.remoteIPRanges as readonly IpRange[]);
      return spansMeet(mine, theirs, 0) || spansMeet(mine, theirs, 6);
    },
  };
}

/** Partners for `c` with `ranges` in place of its own (see clashOf): never says "cannot" of a clash. */
function changedPartners(c: ReceiveConnector, mates: readonly ReceiveConnector[], ranges: readonly IpRange[]): RangeClashPartners {
  const own = new Set(c.remoteIPRanges);
  const gained = ranges.filter((r) => !own.has(r));
  // Kept ranges only: the index of today's ranges answers; gained ones: their span.
  const kept = gained.length < ranges.length ? rangeClashPartners(mates) : null;
  const span = gained.length > 0 ? spanPartners(gained) : null;
  return {
    mayClash(subject, other) {
      return (kept !== null && kept.mayClash(c, other)) || (span !== null && span.mayClash(subject, other));
    },
  };
}

const ownClashes = new WeakMap<readonly ReceiveConnector[], Map<ReceiveConnector, { ranges: readonly IpRange[]; clash: BindingClash | null }>>();

function conflictText(c: ReceiveConnector, clash: BindingClash): string {
  if (clash.kind === 'role') return `${c.identity} shares a binding with ${clash.other.identity} of the other transport role`;
  return `${clash.range.expression} of ${c.identity} and ${clash.otherRange.expression} of ${clash.other.identity} ${clash.relation === 'equal' ? 'are equal on the same binding' : 'partly overlap'}`;
}

/**
 * Groups of a connector list by a key (lower case), built once per list object: the fix
 * generators ask per finding ("the connectors of this server", "the copies of this connector"),
 * and walking the estate each time cost seconds on large estates.
 */
export function connectorIndex(keyOf: (c: ReceiveConnector) => string): (connectors: readonly ReceiveConnector[], key: string) => readonly ReceiveConnector[] {
  const cache = new WeakMap<readonly ReceiveConnector[], Map<string, ReceiveConnector[]>>();
  return (connectors, key) => {
    let index = cache.get(connectors);
    if (index === undefined) {
      index = new Map();
      for (const o of connectors) {
        const k = keyOf(o).toLowerCase();
        const list = index.get(k);
        if (list === undefined) index.set(k, [o]); else list.push(o);
      }
      cache.set(connectors, index);
    }
    return index.get(key.toLowerCase()) ?? [];
  };
}

/** The connectors of one server, in their order. */
const connectorsOfServer = connectorIndex((c) => c.server);

/** `-Name value` for a carried setting as the export printed it; null when it cannot be written back as is. */
function carriedSetting(name: string, value: unknown): string | null {
  if (typeof value === 'boolean') return `-${name} $${String(value)}`;
  if (typeof value === 'number') return `-${name} ${value}`;
  if (typeof value !== 'string') return null;
  if (/^(true|false)$/i.test(value)) return `-${name} $${value.toLowerCase()}`;
  // A ByteQuantifiedSize prints as `128 KB (131,072 bytes)`: the byte count is what it means.
  const bytes = /\(([\d,]+) bytes\)$/.exec(value);
  if (bytes?.[1] !== undefined) return `-${name} ${bytes[1].replace(/,/g, '')}`;
  if (name === 'Comment') return `-Comment ${psQuote(value)}`;
  // Unlimited, counts, time spans, enum names (IPAddress, None): written back as printed.
  return /^[\w.:-]+$/.test(value) ? `-${name} ${psQuote(value)}` : null;
}

/** The setting-carrying part of New-ReceiveConnector for `c`, or the names it could not carry. */
function newConnectorSettings(c: ReceiveConnector): { settings: string[] } | { uncarried: string[] } {
  const assumed = new Set((c.extra?.assumed ?? []).map((x) => x.toLowerCase()));
  const settings: string[] = [];
  const uncarried: string[] = [];
  for (const [key, value] of Object.entries(c.extra ?? {})) {
    const name = CONNECTOR_EXTRA_SETTINGS.find((n) => n.toLowerCase() === key.toLowerCase());
    if (name === undefined || assumed.has(name.toLowerCase()) || value === null || value === '') continue;
    const written = carriedSetting(name, value);
    if (written === null) uncarried.push(name); else settings.push(written);
  }
  return uncarried.length > 0 ? { uncarried } : { settings };
}

/**
 * The move to Front End Transport as one ordered script: the hub connector goes first, because
 * a Front End connector on the same bindings beside it is a role conflict Exchange refuses
 * (reference §4.4 rule 2); the new one takes its name, bindings, ranges, groups, mechanisms and
 * settings, then its explicit rights. The moment between the two steps is a short interruption
 * for its hosts, which is why the step is taken with -ErrorAction Stop on each line.
 */
export function moveToFrontend(snapshot: Snapshot, c: ReceiveConnector): FixCandidate {
  const manual = `Recreate ${c.identity} on Front End Transport: remove the hub connector first (a Front End connector on the same bindings beside it is a role conflict Exchange refuses), then New-ReceiveConnector -TransportRole FrontendTransport -Custom with the same bindings, RemoteIPRanges, PermissionGroups, AuthMechanism and settings, and add its explicit rights again (Add-ADPermission).`;
  const carried = newConnectorSettings(c);
  if ('uncarried' in carried) {
    return { manual: `${manual} No script is offered: the export prints ${carried.uncarried.join(', ')} in a form exrelay cannot write back, so the new connector would not keep ${carried.uncarried.length === 1 ? 'it' : 'them'}.` };
  }
  if (c.bindings.length === 0 || c.remoteIPRanges.length === 0) return { manual: `${manual} No script is offered: the export gives no bindings or RemoteIPRanges for it.` };
  const groups = c.permissionGroups.filter((g) => g !== 'Custom');
  const params = [
    `-Name ${psQuote(c.name)}`, `-Server ${psQuote(c.server)}`, '-TransportRole FrontendTransport', '-Custom',
    `-Bindings ${c.bindings.map((b) => psQuote(formatBinding(b))).join(',')}`,
    `-RemoteIPRanges ${c.remoteIPRanges.map((r) => psQuote(r.expression)).join(',')}`,
    `-PermissionGroups ${psQuote(groups.length === 0 ? 'None' : groups.join(', '))}`,
    `-AuthMechanism ${psQuote(c.authMechanism.length === 0 ? 'None' : c.authMechanism.join(', '))}`,
    ...(c.fqdn === null ? [] : [`-Fqdn ${psQuote(c.fqdn)}`]),
    ...(c.requireTLS ? ['-RequireTLS $true'] : []),
    ...(c.domainSecureEnabled ? ['-DomainSecureEnabled $true'] : []),
    ...(c.tlsCertificateName === null ? [] : [`-TlsCertificateName ${psQuote(c.tlsCertificateName)}`]),
    ...(c.banner === null ? [] : [`-Banner ${psQuote(c.banner)}`]),
    `-ProtocolLoggingLevel ${c.protocolLoggingLevel}`,
    `-MaxMessageSize ${c.maxMessageSize === null ? "'Unlimited'" : c.maxMessageSize}`,
    `-MaxRecipientsPerMessage ${c.maxRecipientsPerMessage === null ? "'Unlimited'" : c.maxRecipientsPerMessage}`,
    ...carried.settings,
    ...(c.enabled ? [] : ['-Enabled $false']),
  ];
  const rights = snapshot.permissions.filter((p) => !p.inherited && p.identity.toLowerCase() === c.identity.toLowerCase() && p.extendedRights.length > 0)
    .map((p) => `Add-ADPermission -Identity ${psQuote(c.identity)} -User ${psQuote(p.user)} -ExtendedRights ${p.extendedRights.map(psQuote).join(',')}${p.deny ? ' -Deny' : ''} -ErrorAction Stop`);
  return {
    script: [
      `Remove-ReceiveConnector -Identity ${psQuote(c.identity)} -Confirm:$false -ErrorAction Stop`,
      `New-ReceiveConnector ${params.join(' ')} -ErrorAction Stop`,
      ...rights,
    ].join('\n'),
    fallback: manual,
  };
}

/**
 * A change Exchange refuses until a conflict of `c` is resolved (reference §4.4). When the
 * conflict is the one a custom hub connector on a Front End port always has — its binding shared
 * with a Front End connector — the resolution is known and proved elsewhere (the hub connector
 * moved to Front End Transport, hub-transport-relay-connector), so the change is offered as one
 * ordered script: the move, with the change made on the new connector (`change` applies it to a
 * copy). Any other clash (equal or partly overlapping ranges, a built-in connector) needs a
 * decision about which connector keeps what: advice.
 */
export function changeBlockedByConflict(snapshot: Snapshot, c: ReceiveConnector, change: (copy: ReceiveConnector) => void, changeText: string): FixCandidate | null {
  const clash = clashOf(snapshot.connectors, c, c.remoteIPRanges);
  if (clash === null) return null;
  const blocked = blockedByConflict(c, conflictText(c, clash), changeText);
  if (clash.kind === 'role' && c.transportRole === 'HubTransport' && clash.other.transportRole === 'FrontendTransport' && isCustomConnector(c)) {
    const changed = structuredClone(c);
    change(changed);
    const move = moveToFrontend(snapshot, changed);
    if (move.script !== undefined) return { script: move.script, fallback: blocked.manual };
  }
  return blocked;
}

/** Advice for a change Exchange would refuse until a conflict of the connector is resolved. */
export function blockedByConflict(c: ReceiveConnector, conflict: string, change: string): { manual: string } {
  return { manual: `Exchange refuses every change to ${c.identity} while ${conflict} (see the port-conflict, duplicate-connector-scope or overlapping-remote-ranges finding): resolve that first, then ${change}` };
}
