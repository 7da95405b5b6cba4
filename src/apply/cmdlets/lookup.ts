// How the cmdlets find the object an -Identity names, as Exchange resolves it.
import type { AcceptedDomain, ReceiveConnector, Snapshot } from '../../model.js';
import type { Params } from '../binding.js';
import { Refusal, eq, str } from '../coercion.js';
import { stringify } from '../values.js';
import { acceptedDomainName } from '../objects.js';

/** `SERVER\Name`, or a bare name when it is unique across servers. */
export function findConnector(snap: Snapshot, identity: string): ReceiveConnector | null {
  const id = identity.trim();
  if (id.includes('\\')) return snap.connectors.find((c) => eq(c.identity, id)) ?? null;
  const byName = snap.connectors.filter((c) => eq(c.name, id));
  if (byName.length > 1) throw new Refusal(`"${id}" matches connectors on several servers (${byName.map((c) => c.identity).join(', ')}); use SERVER\\Name`);
  return byName[0] ?? null;
}

export function requireConnector(snap: Snapshot, b: Params): ReceiveConnector {
  const id = b.get('Identity');
  if (id === undefined) throw new Refusal('-Identity is required');
  const c = findConnector(snap, stringify(id.value));
  if (c === null) throw new Refusal(`couldn't find receive connector "${stringify(id.value)}"`);
  return c;
}

/** An accepted domain is named by its domain name or by its Name. */
export function domainMatches(d: AcceptedDomain, id: string): boolean {
  return eq(d.domainName, id) || eq(acceptedDomainName(d), id);
}

export function requireDomain(snap: Snapshot, b: Params): AcceptedDomain {
  const id = str(b, 'Identity');
  if (id === undefined) throw new Refusal('-Identity is required');
  const d = snap.acceptedDomains.find((x) => domainMatches(x, id));
  if (d === undefined) throw new Refusal(`couldn't find accepted domain "${id}"`);
  return d;
}
