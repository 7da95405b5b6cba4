// New-, Set- and Remove-AcceptedDomain.
import { DOMAIN_TYPES, type AcceptedDomain, type Snapshot } from '../../model.js';
import type { Params } from '../binding.js';
import { Refusal, enumValue, eq, str, toBool } from '../coercion.js';
import { domainMatches, requireDomain } from './lookup.js';

export function newAcceptedDomain(snap: Snapshot, b: Params): string {
  const domainName = str(b, 'DomainName');
  const name = str(b, 'Name') ?? domainName;
  if (domainName === undefined || domainName.trim() === '') throw new Refusal('-DomainName is required');
  const domainType = enumValue(DOMAIN_TYPES, str(b, 'DomainType') ?? 'Authoritative', 'DomainType');
  if (domainName.trim() === '*' && domainType === 'Authoritative') throw new Refusal('the domain * can only be a relay domain (InternalRelay or ExternalRelay)');
  if (snap.acceptedDomains.some((d) => eq(d.domainName, domainName) || domainMatches(d, name ?? ''))) {
    throw new Refusal(`an accepted domain for "${domainName}" already exists`);
  }
  const d: AcceptedDomain = { domainName: domainName.trim(), domainType, default: snap.acceptedDomains.length === 0 };
  if (name !== undefined && name !== domainName) d.extra = { name };
  snap.acceptedDomains.push(d);
  return `created accepted domain ${domainName}`;
}

export function setAcceptedDomain(snap: Snapshot, b: Params): string {
  const d = requireDomain(snap, b);
  const type = str(b, 'DomainType');
  if (type !== undefined) {
    const t = enumValue(DOMAIN_TYPES, type, 'DomainType');
    if (d.domainName === '*' && t === 'Authoritative') throw new Refusal('the domain * can only be a relay domain (InternalRelay or ExternalRelay)');
    d.domainType = t;
  }
  const makeDefault = b.get('MakeDefault');
  if (makeDefault !== undefined && toBool(makeDefault.value, 'MakeDefault')) {
    for (const other of snap.acceptedDomains) other.default = other === d;
  }
  const name = str(b, 'Name');
  if (name !== undefined) d.extra = { ...(d.extra ?? {}), name };
  return `set accepted domain ${d.domainName}`;
}

export function removeAcceptedDomain(snap: Snapshot, b: Params): string {
  const d = requireDomain(snap, b);
  if (d.default) throw new Refusal(`${d.domainName} is the default accepted domain and cannot be removed`);
  snap.acceptedDomains = snap.acceptedDomains.filter((x) => x !== d);
  return `removed accepted domain ${d.domainName}`;
}
