import { parse } from 'tldts';
import type { AcceptedDomain } from '../../model.js';
import { defineRule, psQuote, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';

/** The accepted domain's Name (its -Identity), as Get-AcceptedDomain printed it; null when the export lacks it. */
function domainIdentity(d: AcceptedDomain): string | null {
  const name = d.extra?.['name'] ?? d.extra?.['Name'];
  return typeof name === 'string' && name.trim() !== '' ? name : null;
}

// Removing the relay domain is the fix (docs/reference/wildcard-accepted-domain.md): mail to the
// organisation's own (Authoritative) domains and every relay connector's own rights are
// untouched; hosts that relayed only because of it need a relay connector of their own, which
// the proof catches when the logs show them (their relay would stop). Exchange cannot remove
// the default accepted domain, so that stays manual. The domain is named by its Name when the
// export gives one without `*` (an -Identity with `*` is a pattern to the cmdlet); otherwise it
// is selected by DomainName. DomainName is an SmtpDomainWithSubdomains object: whether `-eq`
// matches it against a string in the Management Shell is not established, and `-like '*'`
// would match every domain, so the filter compares its text (.ToString(), which prints `*`
// or `*.co.uk` as Get-AcceptedDomain shows it).
function fix(draft: FindingDraft, { snapshot }: RuleContext): FixCandidate {
  const evidence = draft.evidence['acceptedDomain'];
  const domainName = evidence !== null && typeof evidence === 'object' && !Array.isArray(evidence) && typeof evidence['domainName'] === 'string' ? evidence['domainName'] : '';
  const d = snapshot.acceptedDomains.find((x) => x.domainName === domainName);
  if (d === undefined) return { manual: 'The accepted domain of this finding is not in the snapshot any more: review the accepted domains by hand.' };
  const byPipeline = `Get-AcceptedDomain | Where-Object { $_.DomainName.ToString() -eq ${psQuote(d.domainName)} } | Remove-AcceptedDomain -Confirm:$false -ErrorAction Stop`;
  if (d.default) {
    return { manual: `"${d.domainName}" is the default accepted domain, which Exchange does not remove. Make the organisation's own domain the default first (Set-AcceptedDomain -Identity with that domain's name -MakeDefault $true; the default domain is also the one email address policies and postmaster replies use, so choose it deliberately), then remove "${d.domainName}": ${byPipeline}` };
  }
  const identity = domainIdentity(d);
  if (identity === null || identity.includes('*')) {
    return {
      script: byPipeline,
      fallback: `Remove the accepted domain "${d.domainName}", selected by DomainName (${identity === null ? 'the export does not give its Name' : `its Name "${identity}" contains *, which -Identity reads as a pattern`}): ${byPipeline}`,
    };
  }
  return {
    script: `Remove-AcceptedDomain -Identity ${psQuote(identity)} -Confirm:$false -ErrorAction Stop`,
    fallback: `Remove the accepted domain "${d.domainName}" (Name "${identity}"): ${byPipeline}`,
  };
}

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
    scope: 'no-connector',
    defaultSeverity: 'critical',
    title: 'Relay accepted domain covering domains nobody can own',
    description: 'An accepted domain of type InternalRelay or ExternalRelay is `*`, or a wildcard whose suffix is a public suffix on the Public Suffix List (`*.com`, `*.co.uk`): every recipient domain under it counts as accepted, so anyone who may submit may relay there. Each such domain fires on its own.',
    remediation: "Get-AcceptedDomain | Where-Object { $_.DomainName.ToString() -eq '*' } | Remove-AcceptedDomain -Confirm:$false -ErrorAction Stop",
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
    }];
  }),
  remediationFromFix: true,
  fix,
});
