import { parse } from 'tldts';
import type { AcceptedDomain } from '../../model.js';
import { defineRule, psQuote, type FindingDraft } from '../rule.js';

/**
 * The part of a domain nobody can own that `domainName` covers: `*` (every domain), or the
 * public suffix behind a wildcard (`*.com`, `*.co.uk`, `*.github.io`) by the Public Suffix
 * List (ICANN and private sections, as tldts ships it). Null for a domain an organisation can own.
 */
export function unownableScope(domainName: string): string | null {
  const name = domainName.trim().toLowerCase().replace(/\.$/, '');
  if (name === '*') return '*';
  if (!name.startsWith('*.')) return null;
  const suffix = name.slice(2);
  const info = parse(suffix, { allowPrivateDomains: true });
  // tldts answers an unknown TLD (`local`, `lab`) with the "*" default rule: not on the list,
  // so not a public suffix (an internal namespace an organisation may own).
  return info.publicSuffix === suffix && (info.isIcann === true || info.isPrivate === true) ? suffix : null;
}

export default defineRule({
  meta: {
    id: 'wildcard-accepted-domain',
    defaultSeverity: 'critical',
    title: 'Relay accepted domain covering domains nobody can own',
    description: 'An accepted domain of type InternalRelay or ExternalRelay is `*`, or a wildcard whose suffix is a public suffix on the Public Suffix List (`*.com`, `*.co.uk`): every recipient domain under it counts as accepted, so anyone who may submit may relay there. Each such domain fires on its own.',
    remediation: "Get-AcceptedDomain | Where-Object { $_.DomainName -eq '*' } | Remove-AcceptedDomain -Confirm:$false",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/accepted-domains/accepted-domains',
      'https://learn.microsoft.com/powershell/module/exchange/remove-accepteddomain',
    ],
    wording: {
      impact: 'Every domain counts as accepted, so anyone who may submit mail — anonymous internet hosts included — may relay anywhere.',
      action: 'Remove the wildcard accepted domain',
    },
  },
  check: ({ snapshot }) => snapshot.acceptedDomains.flatMap((d: AcceptedDomain): FindingDraft[] => {
    if (d.domainType !== 'InternalRelay' && d.domainType !== 'ExternalRelay') return [];
    const scope = unownableScope(d.domainName);
    if (scope === null) return [];
    const covers = scope === '*' ? 'every recipient domain' : `every domain under the public suffix .${scope}`;
    return [{
      connector: null,
      server: null,
      message: `Accepted domain "${d.domainName}" (${d.domainType}) makes ${covers} accepted: anyone who may submit, anonymous internet hosts on Default Frontend included, may relay to ${scope === '*' ? 'any domain' : `any .${scope} domain`}`,
      evidence: { acceptedDomain: { domainName: d.domainName, domainType: d.domainType, default: d.default }, covers: scope === '*' ? 'every domain' : `*.${scope} (a public suffix)` },
      remediation: `Get-AcceptedDomain | Where-Object { $_.DomainName -eq ${psQuote(d.domainName)} } | Remove-AcceptedDomain -Confirm:$false`,
    }];
  }),
});
