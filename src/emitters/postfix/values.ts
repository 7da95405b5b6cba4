// The only place that knows what may stand in a Postfix configuration file. Customer values
// (connector names, domains, host names) never reach main.cf/master.cf unchecked: a value that
// could start a new line, a new parameter or a `$` expansion is either rendered inert (comments)
// or refused (values), and the refusal becomes a note in the "does not translate" list.

/** Text for a `#` comment: one line, no control characters, `$` harmless inside comments. */
export function postfixComment(value: string): string {
  // Postfix joins a line that starts with whitespace to the previous one, and a comment ends at
  // the line end: flattening every control character keeps a hostile name on its comment line.
  // eslint-disable-next-line no-control-regex
  return value.replace(/[\u0000-\u001f\u007f\u2028\u2029]+/g, ' ').trim();
}

const HOSTNAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;

/** A host name usable as a Postfix parameter value, or null. */
export function postfixHostname(value: string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const v = value.trim().replace(/\.$/, '');
  return HOSTNAME.test(v) ? v.toLowerCase() : null;
}

/**
 * An accepted domain as relay_domains table keys, covering what Exchange's accepted-domain match
 * covers (src/policy/accepted-domains.ts): `corp.example` stays exact; `*.corp.example`, and a
 * domain with MatchSubDomains, cover the domain itself and its subdomains (`corp.example` and
 * `.corp.example`, with relay_domains taken out of parent_domain_matches_subdomains). `*` is
 * handled by the caller. Empty: not a domain.
 */
export function relayDomainKeys(domainName: string, matchSubDomains = false): string[] {
  const d = domainName.trim().toLowerCase();
  const wildcard = d.startsWith('*.');
  const parent = postfixHostname(wildcard ? d.slice(2) : d);
  if (parent === null) return [];
  return wildcard || matchSubDomains ? [parent, `.${parent}`] : [parent];
}
