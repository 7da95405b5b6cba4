import type { AcceptedDomain } from '../../model.js';
import { classifyDomain } from '../../policy/index.js';
import { defineRule } from '../rule.js';

// Domains no organisation accepts on purpose, under different top-level domains: an accepted
// domain that matches all of them (by the engine's own matching, reference §7) covers every
// domain. `*.com` matches only one of them.
const PROBES = ['exrelay-probe.example.com', 'mail.exrelay-probe.invalid', 'a.b.exrelay-probe.net'];

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
    wording: {
      impact: 'Every domain counts as accepted, so anyone who may submit mail — anonymous internet hosts included — may relay anywhere.',
      action: 'Remove the wildcard accepted domain',
    },
  },
  check: ({ policy }) => {
    const matches = PROBES.map((domain) => classifyDomain(policy, domain).match);
    const first = matches[0];
    if (first === null || first === undefined || !matches.every((m) => m === first)) return [];
    const d: AcceptedDomain = first;
    if (d.domainType !== 'InternalRelay' && d.domainType !== 'ExternalRelay') return [];
    return [{
      connector: null,
      server: null,
      message: `Accepted domain "${d.domainName}" (${d.domainType}) makes every recipient domain accepted: anyone who may submit, anonymous internet hosts on Default Frontend included, may relay`,
      evidence: { acceptedDomain: { domainName: d.domainName, domainType: d.domainType, default: d.default } },
    }];
  },
});
