// What the fix generators of the rules share (rules.md "Fixes"): statements written the way the
// Exchange Management Shell runs them as pasted — every value through psQuote, every cmdlet
// with `-ErrorAction Stop` so a refused step stops the script instead of leaving a half-applied
// change — and the facts a generator needs before it may offer a script (is there a certificate
// STARTTLS can present?). Only forms the `apply` dry run interprets are written: single
// Set-/Remove-ReceiveConnector, Add-/Remove-ADPermission and Remove-AcceptedDomain statements,
// no pipelines, no Select-Object, no placeholders.
import { certificatesCovering, connectorFqdn, isExpired, presentedCertificate } from '../certificates.js';
import type { AuthMechanism, Certificate, IpRange, ReceiveConnector, Snapshot } from '../model.js';
import { bindingConflict } from '../policy/binding-conflict.js';
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
  const clash = bindingConflict(c, connectorsOfServer(connectors, c.server), ranges);
  if (clash === null) return null;
  if (clash.kind === 'role') return `${c.identity} shares a binding with ${clash.other.identity} of the other transport role`;
  return `${clash.range.expression} of ${c.identity} and ${clash.otherRange.expression} of ${clash.other.identity} ${clash.relation === 'equal' ? 'are equal on the same binding' : 'partly overlap'}`;
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

/** Advice for a change Exchange would refuse until a conflict of the connector is resolved. */
export function blockedByConflict(c: ReceiveConnector, conflict: string, change: string): FixCandidate {
  return { manual: `Exchange refuses every change to ${c.identity} while ${conflict} (see the port-conflict, duplicate-connector-scope or overlapping-remote-ranges finding): resolve that first, then ${change}` };
}
