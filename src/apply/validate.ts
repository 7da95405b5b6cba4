// What New-/Set-ReceiveConnector refuse: the AuthMechanism and related rules of reference §3.2
// and the binding/remote-range conflicts of §4.4 (checked against every other connector of the
// same server, disabled ones included). Messages paraphrase Exchange (its exact texts are
// unconfirmed, reference §11).
import type { ReceiveConnector } from '../model.js';
import { formatBinding } from '../net/index.js';
import { bindingConflict } from '../policy/binding-conflict.js';

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


/** §3.2 TlsCertificateName rule: `<I>issuer<S>subject`. */
export function tlsCertificateNameProblem(name: string): string | null {
  return /^<I>.+<S>.+$/s.test(name) ? null : 'TlsCertificateName must have the form <I>issuer<S>subject';
}

/** §4.4: the first conflict between `c` and another connector of its server, or null. */
export function conflictWith(c: ReceiveConnector, others: readonly ReceiveConnector[]): string | null {
  const server = c.server.toLowerCase();
  const clash = bindingConflict(c, others.filter((o) => o.server.toLowerCase() === server), c.remoteIPRanges);
  if (clash === null) return null;
  const where = formatBinding(clash.binding);
  if (clash.kind === 'role') {
    return `binding ${where} conflicts with ${clash.other.identity} (${formatBinding(clash.otherBinding)}), which belongs to the ${clash.other.transportRole ?? 'other'} role`;
  }
  return `remote range ${clash.range.expression} on ${where} conflicts with ${clash.otherRange.expression} of ${clash.other.identity} on ${formatBinding(clash.otherBinding)} (${clash.relation === 'equal' ? 'equal ranges on the same binding' : 'partially overlapping ranges'})`;
}
