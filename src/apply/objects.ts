// The objects Get-ReceiveConnector, Get-AcceptedDomain and Get-ADPermission hand a script, built
// from the snapshot: the properties filters read, as the Management Shell presents them (strings
// and booleans where Exchange's type is one; otherwise an Exchange object that prints). What the
// export did not contain (`extra.assumed`) is left out, so a filter that reads it is reported
// instead of being answered from a default.
import type { AcceptedDomain, Binding, Permission, ReceiveConnector, Snapshot } from '../model.js';
import { PERMISSION_GROUP_ACES, principalKey } from '../policy/rights.js';
import { findWellKnownPrincipal } from '../principals.js';
import { eq } from './coercion.js';
import { growable, opaque, type PsObject, type PsValue } from './ps-types.js';

function assumedOf(extra: Record<string, unknown> | undefined): Set<string> {
  const list = extra?.['assumed'];
  return new Set(Array.isArray(list) ? list.map((x) => String(x).toLowerCase()) : []);
}

function withoutAssumed(props: Array<[string, PsValue]>, extra: Record<string, unknown> | undefined): Map<string, PsValue> {
  const assumed = assumedOf(extra);
  return new Map(props.filter(([k]) => !assumed.has(k.toLowerCase())).map(([k, v]) => [k.toLowerCase(), v]));
}

export function bindingText(b: Binding): string {
  return b.address.includes(':') ? `[${b.address}]:${b.port}` : `${b.address}:${b.port}`;
}

/** A receive connector as Get-ReceiveConnector returns it. */
export function connectorObject(c: ReceiveConnector): PsObject {
  const props: Array<[string, PsValue]> = [
    ['Identity', opaque('ADObjectId', c.identity)],
    ['Name', c.name],
    ['Server', opaque('ADObjectId', c.server)],
    ['Enabled', c.enabled],
    ['RemoteIPRanges', growable(c.remoteIPRanges.map((r) => opaque('IPRange', r.expression)))],
    ['Bindings', growable(c.bindings.map((b) => opaque('IPBinding', bindingText(b))))],
    ['PermissionGroups', opaque('PermissionGroups', c.permissionGroups.length === 0 ? 'None' : c.permissionGroups.join(', '))],
    ['AuthMechanism', opaque('AuthMechanisms', c.authMechanism.length === 0 ? 'None' : c.authMechanism.join(', '))],
    ['RequireTLS', c.requireTLS],
    ['DomainSecureEnabled', c.domainSecureEnabled],
    ['Banner', c.banner],
  ];
  if (c.transportRole !== null) props.push(['TransportRole', opaque('ServerRole', c.transportRole)]);
  if (c.fqdn !== null) props.push(['Fqdn', opaque('Fqdn', c.fqdn)]);
  return { object: 'ReceiveConnector', text: c.identity, props: withoutAssumed(props, c.extra), origin: { kind: 'connector', identity: c.identity } };
}

/**
 * The accepted domain's Name (its identity for -Identity): the importers keep it as exported
 * (`extra.Name`), snapshots written by hand may spell it `name`; DomainName when absent.
 */
export function acceptedDomainName(d: AcceptedDomain): string {
  for (const [key, value] of Object.entries(d.extra ?? {})) if (key.toLowerCase() === 'name' && typeof value === 'string' && value !== '') return value;
  return d.domainName;
}

/** An accepted domain as Get-AcceptedDomain returns it. */
export function domainObject(d: AcceptedDomain): PsObject {
  const name = acceptedDomainName(d);
  const props: Array<[string, PsValue]> = [
    ['Name', name],
    ['DomainName', opaque('SmtpDomainWithSubdomains', d.domainName)],
    ['DomainType', opaque('AcceptedDomainType', d.domainType)],
    ['Default', d.default],
  ];
  return { object: 'AcceptedDomain', text: name, props: withoutAssumed(props, d.extra), origin: { kind: 'domain', identity: d.domainName } };
}

/** How the server prints a principal setup's ACEs name: known, or why it is not. */
type PrincipalText = { text: string } | { unknown: string } | { suffix: string; why: string };

function aceObject(connector: ReceiveConnector, user: string, deny: boolean, inherited: boolean, rights: readonly string[], extra?: Record<string, unknown>, printed?: PrincipalText): PsObject {
  const accessRights = extra?.['AccessRights'];
  const props: Array<[string, PsValue]> = [
    ['Identity', opaque('ADObjectId', connector.identity)],
    ['User', principalObject(user, printed)],
    ['Deny', deny],
    ['IsInherited', inherited],
    ['ExtendedRights', growable(rights.map((r) => opaque('ExtendedRightIdParameter', r)))],
  ];
  // Entries setup writes grant extended rights (AccessRights ExtendedRight); an imported entry
  // shows its AccessRights only when the export had them.
  if (extra === undefined) props.push(['AccessRights', [opaque('ActiveDirectoryRights', 'ExtendedRight')]]);
  else if (typeof accessRights === 'string' || Array.isArray(accessRights)) {
    const list = typeof accessRights === 'string' ? accessRights.split(/\s*,\s*/) : accessRights.map(String);
    props.push(['AccessRights', list.filter((x) => x !== '').map((x) => opaque('ActiveDirectoryRights', x))]);
  }
  return {
    object: 'ADAcePresentationObject',
    text: connector.identity,
    props: withoutAssumed(props, extra),
    origin: { kind: 'ace', identity: connector.identity, user, deny, inherited, rights },
  };
}

function principalObject(user: string, printed: PrincipalText | undefined): PsObject {
  const base = opaque('SecurityPrincipalIdParameter', user);
  if (printed === undefined) return base;
  if ('unknown' in printed) return { ...base, textUnknown: printed.unknown };
  if ('suffix' in printed) return { ...base, domainUnknown: { suffix: printed.suffix, why: printed.why } };
  return { ...base, text: printed.text };
}

/**
 * Get-ADPermission on a connector: one entry per right its permission groups wrote (setup writes
 * one ACE per right, reference §8), then the snapshot's own entries as the export listed them.
 * Entries without an Exchange extended right (GenericRead, inherited administrators …) are not in
 * the model: a filter sees only the entries that carry SMTP rights.
 */
export function aceObjects(snap: Snapshot, connector: ReceiveConnector): PsObject[] {
  const out: PsObject[] = [];
  const own = snap.permissions.filter((p) => eq(p.identity, connector.identity));
  // An export of the full ACL lists the groups' entries too: those rows are the same ACEs.
  const exported = (principal: string, right: string, deny: boolean): boolean => own.some((p) => !p.inherited && p.deny === deny
    && principalKey(p.user) === principalKey(principal) && p.extendedRights.some((r) => eq(r, right)));
  for (const ace of PERMISSION_GROUP_ACES) {
    if (!connector.permissionGroups.includes(ace.group)) continue;
    const printed = printedPrincipal(snap, ace.principal);
    const principal = 'text' in printed ? printed.text : ace.principal.replace('<DOMAIN>\\', 'DOMAIN\\');
    for (const right of ace.rights) {
      if (!exported(ace.principal, right, ace.deny)) out.push(aceObject(connector, principal, ace.deny, false, [right], undefined, printed));
    }
  }
  for (const p of own) {
    out.push(aceObject(connector, p.user, p.deny, p.inherited, p.extendedRights, permissionExtra(p)));
  }
  return out;
}

function permissionExtra(p: Permission): Record<string, unknown> {
  return p.extra ?? {};
}

/**
 * The text Get-ADPermission shows for a principal setup's ACEs name. Domain groups print with
 * the customer's NetBIOS domain, which the snapshot does not show; NT
 * AUTHORITY principals print in the server's display language (corpus localisation notes), known
 * to be English unless the snapshot's entries show a translated name.
 */
function printedPrincipal(snap: Snapshot, canonical: string): PrincipalText {
  if (canonical.startsWith('<DOMAIN>\\')) {
    // UNSURE: the NetBIOS domain of the group setup created is not in the exports (in a forest
    // it need not be the domain of the accounts the ACL names), so only `\Name` is known.
    const suffix = canonical.slice('<DOMAIN>'.length);
    return { suffix, why: `the snapshot does not show the domain of ${canonical} (only "${suffix}" is known)` };
  }
  if (canonical.startsWith('NT AUTHORITY\\')) {
    const translated = snap.permissions.find((p) => {
      const hit = findWellKnownPrincipal(p.user);
      return hit !== null && hit.canonical.startsWith('NT AUTHORITY\\') && !eq(hit.canonical, p.user.trim());
    });
    if (translated !== undefined) {
      return { unknown: `the snapshot shows well-known principals translated ("${translated.user}"), so how the server prints ${canonical} is unknown` };
    }
  }
  return { text: canonical };
}
