// What New-/Set-ReceiveConnector refuse: the AuthMechanism and related rules of reference §3.2
// and the binding/remote-range conflicts of §4.4 (checked against every other connector of the
// same server, disabled ones included). Messages paraphrase Exchange (its exact texts are
// unconfirmed, reference §11).
import type { ReceiveConnector } from '../model.js';
import { bindingOverlap, formatBinding, intervalRelation, tryRangeInterval, type Interval } from '../net/index.js';

/** §3.2: the reasons Exchange refuses this connector's settings (empty when it accepts them). */
export function authMechanismProblems(c: ReceiveConnector): string[] {
  const out: string[] = [];
  const has = (m: string): boolean => c.authMechanism.some((a) => a === m);
  if (has('BasicAuthRequireTLS') && (!has('BasicAuth') || !has('Tls'))) {
    out.push('AuthMechanism BasicAuthRequireTLS needs both BasicAuth and Tls');
  }
  if (c.requireTLS && !has('Tls')) out.push('RequireTLS $true needs Tls in AuthMechanism');
  if (has('ExternalAuthoritative')) {
    const bad = ['BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer', 'Integrated'].filter(has);
    if (bad.length > 0) out.push(`AuthMechanism ExternalAuthoritative can only be combined with Tls, not with ${bad.join(', ')}`);
    if (!c.permissionGroups.includes('ExchangeServers')) out.push('AuthMechanism ExternalAuthoritative needs ExchangeServers in PermissionGroups');
  }
  if (c.domainSecureEnabled && !has('Tls')) out.push('DomainSecureEnabled needs Tls in AuthMechanism');
  if (c.domainSecureEnabled && has('ExternalAuthoritative')) out.push('DomainSecureEnabled cannot be used with ExternalAuthoritative');
  return out;
}

/** §3.2 Banner rule: a valid SMTP 220 reply, at most 50 lines of at most 2000 characters. */
export function bannerProblem(banner: string): string | null {
  const lines = banner.split(/\r\n|\n|\r/);
  if (lines.length > 50) return 'Banner has more than 50 lines';
  if (lines.some((l) => l.length > 2000)) return 'Banner has a line longer than 2000 characters';
  if (!lines.every((l) => /^220(?:[ -]|$)/.test(l))) return 'Banner must be an SMTP reply with code 220 (e.g. "220 mail.example.com")';
  return null;
}

/** §3.2 TlsCertificateName rule: `<I>issuer<S>subject`. */
export function tlsCertificateNameProblem(name: string): string | null {
  return /^<I>.+<S>.+$/s.test(name) ? null : 'TlsCertificateName must have the form <I>issuer<S>subject';
}

/** Ranges with their intervals; an imported range that is not an address range is left out. */
function intervals(c: ReceiveConnector): Array<{ r: ReceiveConnector['remoteIPRanges'][number]; i: Interval }> {
  const out: Array<{ r: ReceiveConnector['remoteIPRanges'][number]; i: Interval }> = [];
  for (const r of c.remoteIPRanges) {
    const i = tryRangeInterval(r);
    if (i !== null) out.push({ r, i });
  }
  return out;
}

/** §4.4: the first conflict between `c` and another connector of its server, or null. */
export function conflictWith(c: ReceiveConnector, others: readonly ReceiveConnector[]): string | null {
  const mine = intervals(c);
  for (const o of others) {
    if (o === c || o.server.toLowerCase() !== c.server.toLowerCase()) continue;
    for (const b1 of c.bindings) {
      for (const b2 of o.bindings) {
        const overlap = bindingOverlap(b1, b2);
        if (overlap === null) continue;
        if ((c.transportRole ?? '') !== (o.transportRole ?? '')) {
          return `binding ${formatBinding(b1)} conflicts with ${o.identity} (${formatBinding(b2)}), which belongs to the ${o.transportRole ?? 'other'} role`;
        }
        const theirs = intervals(o);
        for (const { r: r1, i: i1 } of mine) {
          for (const { r: r2, i: i2 } of theirs) {
            const rel = intervalRelation(i1, i2);
            if (rel === 'partial' || (rel === 'equal' && overlap === 'identical')) {
              return `remote range ${r1.expression} on ${formatBinding(b1)} conflicts with ${r2.expression} of ${o.identity} on ${formatBinding(b2)} (${rel === 'equal' ? 'equal ranges on the same binding' : 'partially overlapping ranges'})`;
            }
          }
        }
      }
    }
  }
  return null;
}
