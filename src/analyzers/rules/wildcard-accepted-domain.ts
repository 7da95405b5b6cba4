import { defineRule } from '../rule.js';

/** `*` (and spellings of it such as `*.`) covers every domain; `*.com` does not. */
function coversEveryDomain(name: string): boolean {
  const n = name.trim().toLowerCase().replace(/\.+$/, '');
  return n === '*' || /^\*(\.\*)+$/.test(n);
}

export default defineRule({
  meta: {
    id: 'wildcard-accepted-domain',
    defaultSeverity: 'critical',
    title: 'Accepted domain * of a relay type: every client that may submit may relay',
    description: 'An accepted domain `*` (or a wildcard that covers every domain) of type InternalRelay or ExternalRelay exists, so every recipient domain counts as accepted.',
    remediation: "Get-AcceptedDomain | Where-Object { $_.DomainName -eq '*' } | Remove-AcceptedDomain -Confirm:$false",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/accepted-domains/accepted-domains',
      'https://learn.microsoft.com/powershell/module/exchange/remove-accepteddomain',
    ],
  },
  check: ({ snapshot }) => snapshot.acceptedDomains
    .filter((d) => (d.domainType === 'InternalRelay' || d.domainType === 'ExternalRelay') && coversEveryDomain(d.domainName))
    .map((d) => ({
      connector: null,
      server: null,
      message: `Accepted domain "${d.domainName}" (${d.domainType}) makes every recipient domain accepted: anyone who may submit, anonymous internet hosts on Default Frontend included, may relay`,
      evidence: { acceptedDomain: { domainName: d.domainName, domainType: d.domainType, default: d.default } },
    })),
});
