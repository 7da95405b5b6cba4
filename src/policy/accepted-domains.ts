// Accepted-domain matching (reference §7). Accepted domains are organisation-wide; a
// recipient whose domain matches any of them passes the relay check without
// Accept-Any-Recipient. The best (most specific) match decides the type.
import type { AcceptedDomain, DomainType } from '../model.js';
import { extraBool } from './extra.js';
import type { PolicyIndex } from './index.js';

export type RecipientClass = 'authoritative' | 'internalRelay' | 'externalRelay' | 'external';

const CLASS_OF: Record<DomainType, RecipientClass> = {
  Authoritative: 'authoritative', InternalRelay: 'internalRelay', ExternalRelay: 'externalRelay',
};

interface DomainTable {
  exact: Map<string, AcceptedDomain>;
  /** `*.x` (or MatchSubDomains) keyed by x. */
  subdomains: Map<string, AcceptedDomain>;
  star: AcceptedDomain | null;
}

function normalizeDomain(domain: string): string {
  let d = domain.toLowerCase();
  if (d.charCodeAt(0) <= 32 || d.charCodeAt(d.length - 1) <= 32) d = d.trim();
  if (d.endsWith('.')) d = d.slice(0, -1);
  return d;
}

const tables = new WeakMap<PolicyIndex, DomainTable>();

function tableOf(policy: PolicyIndex): DomainTable {
  const known = tables.get(policy);
  if (known !== undefined) return known;
  const built = buildTable(policy);
  tables.set(policy, built);
  return built;
}

function buildTable(policy: PolicyIndex): DomainTable {
  return policy.memo('accepted-domains', () => {
    const table: DomainTable = { exact: new Map(), subdomains: new Map(), star: null };
    for (const d of policy.acceptedDomains) {
      const name = normalizeDomain(d.domainName);
      if (name === '*') { table.star ??= d; continue; }
      if (name.startsWith('*.')) {
        const base = name.slice(2);
        if (!table.subdomains.has(base)) table.subdomains.set(base, d);
        continue;
      }
      if (!table.exact.has(name)) table.exact.set(name, d);
      // Set-AcceptedDomain -MatchSubDomains: the domain and its subdomains.
      if (extraBool(d.extra, 'MatchSubDomains', false) && !table.subdomains.has(name)) table.subdomains.set(name, d);
    }
    return table;
  });
}

/**
 * Classifies a recipient (or sender) domain. Best match wins: an exact entry, then the longest
 * `*.parent` wildcard (which also covers `parent` itself, reference §7), then `*`. An exact
 * entry `contoso.com` covers `sub.contoso.com` only with MatchSubDomains True.
 */
export function classifyDomain(policy: PolicyIndex, domain: string): { class: RecipientClass; match: AcceptedDomain | null } {
  const match = bestMatch(tableOf(policy), normalizeDomain(domain));
  return match === null ? { class: 'external', match: null } : { class: CLASS_OF[match.domainType], match };
}

function bestMatch(table: DomainTable, name: string): AcceptedDomain | null {
  // An address literal ([192.0.2.1]) is never an accepted domain.
  if (name === '' || name.startsWith('[')) return null;
  const exact = table.exact.get(name);
  if (exact !== undefined) return exact;
  // `*.contoso.com` (and `contoso.com` with MatchSubDomains) covers contoso.com itself.
  const self = table.subdomains.get(name);
  if (self !== undefined) return self;
  let dot = name.indexOf('.');
  while (dot >= 0) {
    const hit = table.subdomains.get(name.slice(dot + 1));
    if (hit !== undefined) return hit;
    dot = name.indexOf('.', dot + 1);
  }
  return table.star;
}

/** The domain of an address (`user@Domain.example` → `domain.example`), or '' when there is none. */
export function domainOfAddress(address: string): string {
  let a = address.trim();
  if (a.startsWith('<') && a.endsWith('>')) a = a.slice(1, -1);
  const at = a.lastIndexOf('@');
  return at < 0 ? '' : normalizeDomain(a.slice(at + 1));
}

/** Accepted for relay purposes: matches any accepted domain (§6.4 RCPT step 3). */
export function isAcceptedDomain(policy: PolicyIndex, domain: string): boolean {
  return bestMatch(tableOf(policy), normalizeDomain(domain)) !== null;
}

/** "Internal" for sender checks: Authoritative or InternalRelay (§7). */
export function isInternalDomain(policy: PolicyIndex, domain: string): boolean {
  const c = classifyDomain(policy, domain).class;
  return c === 'authoritative' || c === 'internalRelay';
}

/** rules.md `wildcard-accepted-domain`: `*` (or a wildcard covering every domain) of a relay type. */
export function isWildcardRelayDomain(domain: AcceptedDomain): boolean {
  const name = normalizeDomain(domain.domainName);
  return (name === '*' || name === '*.') && domain.domainType !== 'Authoritative';
}
