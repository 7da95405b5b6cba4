// The AD entries that PermissionGroups stands for (reference §2.1) and how Add-/Remove-
// ADPermission and Set -PermissionGroups change a connector's ACL (§2.3). The model keeps the
// groups as groups (the policy engine turns them into effective rights) and lists only the
// entries that are *not* implied by them; these helpers keep that split true after each change.
import type { Permission, PermissionGroup, ReceiveConnector } from '../model.js';

const R = {
  submit: 'ms-Exch-SMTP-Submit',
  anyRecipient: 'ms-Exch-SMTP-Accept-Any-Recipient',
  anySender: 'ms-Exch-SMTP-Accept-Any-Sender',
  authoritativeSender: 'ms-Exch-SMTP-Accept-Authoritative-Domain-Sender',
  authFlag: 'ms-Exch-SMTP-Accept-Authentication-Flag',
  bypassAntiSpam: 'ms-Exch-Bypass-Anti-Spam',
  bypassSize: 'ms-Exch-Bypass-Message-Size-Limit',
  exch50: 'ms-Exch-SMTP-Accept-Exch50',
  routing: 'ms-Exch-Accept-Headers-Routing',
  forest: 'ms-Exch-Accept-Headers-Forest',
  organization: 'ms-Exch-Accept-Headers-Organization',
} as const;

const SECURED_NINE = [R.submit, R.anyRecipient, R.authFlag, R.anySender, R.authoritativeSender, R.bypassAntiSpam, R.bypassSize, R.exch50, R.routing];
const SERVER_RIGHTS = [
  ...SECURED_NINE, R.forest, R.organization,
  'ms-Exch-SMTP-Accept-XShadow', 'ms-Exch-SMTP-Accept-XProxyFrom', 'ms-Exch-SMTP-Accept-XSessionParams',
  'ms-Exch-SMTP-Accept-XAttr', 'ms-Exch-SMTP-Accept-XSysProbe',
  'ms-Exch-SMTP-Send-XMessageContext-ADRecipientCache', 'ms-Exch-SMTP-Send-XMessageContext-ExtendedProperties',
  'ms-Exch-SMTP-Send-XMessageContext-FastIndex',
];

/** A principal a group writes entries for; `domainRelative` ones are `<DOMAIN>\name`. */
interface GroupGrant { principal: string; domainRelative: boolean; allow: readonly string[]; deny: readonly string[] }

/** Reference §2.1, row by row. */
export const GROUP_GRANTS: Readonly<Record<Exclude<PermissionGroup, 'Custom'>, readonly GroupGrant[]>> = {
  AnonymousUsers: [{ principal: 'NT AUTHORITY\\ANONYMOUS LOGON', domainRelative: false, allow: [R.submit, R.anySender, R.authoritativeSender, R.routing], deny: [] }],
  ExchangeUsers: [{ principal: 'NT AUTHORITY\\Authenticated Users', domainRelative: false, allow: [R.submit, R.anyRecipient, R.bypassAntiSpam, R.routing], deny: [] }],
  ExchangeServers: [
    { principal: 'Exchange Servers', domainRelative: true, allow: SERVER_RIGHTS, deny: [] },
    { principal: 'MS Exchange\\Hub Transport Servers', domainRelative: false, allow: SERVER_RIGHTS, deny: [] },
    { principal: 'MS Exchange\\Edge Transport Servers', domainRelative: false, allow: SERVER_RIGHTS, deny: [] },
    { principal: 'MS Exchange\\Externally Secured Servers', domainRelative: false, allow: SECURED_NINE, deny: [] },
  ],
  ExchangeLegacyServers: [{ principal: 'ExchangeLegacyInterop', domainRelative: true, allow: SECURED_NINE, deny: [R.forest, R.organization] }],
  Partners: [{ principal: 'MS Exchange\\Partner Servers', domainRelative: false, allow: [R.submit, R.routing], deny: [] }],
};

const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

function principalMatches(grant: GroupGrant, user: string): boolean {
  if (!grant.domainRelative) return eq(grant.principal, user);
  const slash = user.lastIndexOf('\\');
  const name = slash >= 0 ? user.slice(slash + 1) : user;
  const domain = slash >= 0 ? user.slice(0, slash) : '';
  return eq(name, grant.principal) && !eq(domain, 'NT AUTHORITY') && !eq(domain, 'MS Exchange');
}

/** Whether a connector's groups already write this (user, right, allow/deny) entry. */
export function isImpliedByGroups(groups: readonly PermissionGroup[], user: string, right: string, deny: boolean): boolean {
  for (const group of groups) {
    if (group === 'Custom') continue;
    for (const grant of GROUP_GRANTS[group]) {
      if (!principalMatches(grant, user)) continue;
      if ((deny ? grant.deny : grant.allow).some((r) => eq(r, right))) return true;
    }
  }
  return false;
}

/** Whether `user` is a principal any permission group writes entries for. */
export function isGroupPrincipal(user: string): boolean {
  return Object.values(GROUP_GRANTS).some((grants) => grants.some((g) => principalMatches(g, user)));
}

/** Explicit, non-inherited entries on `identity` that its groups do not imply, one per right. */
export function nonDefaultEntries(connector: ReceiveConnector, permissions: readonly Permission[]): Permission[] {
  const out: Permission[] = [];
  for (const p of permissions) {
    if (!eq(p.identity, connector.identity) || p.inherited) continue;
    for (const right of p.extendedRights) {
      if (isImpliedByGroups(connector.permissionGroups, p.user, right, p.deny)) continue;
      if (out.some((o) => eq(o.user, p.user) && o.deny === p.deny && eq(o.extendedRights[0] ?? '', right))) continue;
      out.push({ identity: connector.identity, user: p.user, deny: p.deny, inherited: false, extendedRights: [right] });
    }
  }
  return out;
}

/** Exchange shows `Custom` when explicit entries exist beyond the groups' own (§2.3). */
export function recomputeCustom(connector: ReceiveConnector, permissions: readonly Permission[]): void {
  const hasExtra = nonDefaultEntries(connector, permissions).length > 0;
  const groups = connector.permissionGroups.filter((g) => g !== 'Custom');
  connector.permissionGroups = hasExtra ? [...groups, 'Custom'] : groups;
}

/**
 * Removes one right from `user` on a connector the way Remove-ADPermission does. When a group
 * wrote that entry, the group stops being shown (§2.3): its other entries stay, now explicit.
 * Returns whether anything was removed.
 */
export function removeRight(connector: ReceiveConnector, permissions: Permission[], user: string, right: string, deny: boolean): boolean {
  let removed = false;
  for (let i = permissions.length - 1; i >= 0; i--) {
    const p = permissions[i];
    if (p === undefined || !eq(p.identity, connector.identity) || p.inherited || p.deny !== deny || !eq(p.user, user)) continue;
    const kept = p.extendedRights.filter((r) => !eq(r, right));
    if (kept.length === p.extendedRights.length) continue;
    removed = true;
    if (kept.length === 0) permissions.splice(i, 1);
    else permissions[i] = { ...p, extendedRights: kept };
  }
  for (const group of connector.permissionGroups) {
    if (group === 'Custom') continue;
    const grants = GROUP_GRANTS[group];
    const owning = grants.find((g) => principalMatches(g, user) && (deny ? g.deny : g.allow).some((r) => eq(r, right)));
    if (owning === undefined) continue;
    removed = true;
    // Materialise the group's other entries as explicit ones, minus the removed right.
    connector.permissionGroups = connector.permissionGroups.filter((g) => g !== group);
    for (const grant of grants) {
      const principal = grant.domainRelative ? domainPrincipal(grant.principal, user, permissions) : grant.principal;
      for (const [rights, isDeny] of [[grant.allow, false], [grant.deny, true]] as const) {
        for (const r of rights) {
          if (grant === owning && isDeny === deny && eq(r, right)) continue;
          if (isImpliedByGroups(connector.permissionGroups, principal, r, isDeny)) continue;
          permissions.push({ identity: connector.identity, user: principal, deny: isDeny, inherited: false, extendedRights: [r] });
        }
      }
    }
  }
  recomputeCustom(connector, permissions);
  return removed;
}

/** `<DOMAIN>\name` using the domain seen in `user` or in existing entries, else `DOMAIN`. */
function domainPrincipal(name: string, user: string, permissions: readonly Permission[]): string {
  const domainOf = (u: string): string | null => {
    const slash = u.indexOf('\\');
    if (slash <= 0) return null;
    const d = u.slice(0, slash);
    return eq(d, 'NT AUTHORITY') || eq(d, 'MS Exchange') ? null : d;
  };
  const domain = domainOf(user) ?? permissions.map((p) => domainOf(p.user)).find((d) => d !== null) ?? 'DOMAIN';
  return `${domain}\\${name}`;
}

/** Adds an explicit entry unless an identical one (or the groups) already holds it. */
export function addRight(connector: ReceiveConnector, permissions: Permission[], user: string, right: string, deny: boolean): boolean {
  if (isImpliedByGroups(connector.permissionGroups, user, right, deny)) return false;
  const exists = permissions.some((p) => eq(p.identity, connector.identity) && !p.inherited && p.deny === deny && eq(p.user, user)
    && p.extendedRights.some((r) => eq(r, right)));
  if (exists) return false;
  permissions.push({ identity: connector.identity, user, deny, inherited: false, extendedRights: [right] });
  recomputeCustom(connector, permissions);
  return true;
}

/**
 * Set -PermissionGroups: group-default entries of every group principal go, the new groups'
 * defaults are implied; entries the admin gave other principals survive (§2.3).
 */
export function setGroups(connector: ReceiveConnector, permissions: Permission[], groups: PermissionGroup[]): void {
  const allGroups = Object.keys(GROUP_GRANTS) as Array<Exclude<PermissionGroup, 'Custom'>>;
  for (let i = permissions.length - 1; i >= 0; i--) {
    const p = permissions[i];
    if (p === undefined || !eq(p.identity, connector.identity) || p.inherited) continue;
    const kept = p.extendedRights.filter((r) => !isImpliedByGroups(allGroups, p.user, r, p.deny));
    if (kept.length === 0) permissions.splice(i, 1);
    else if (kept.length !== p.extendedRights.length) permissions[i] = { ...p, extendedRights: kept };
  }
  connector.permissionGroups = groups.filter((g) => g !== 'Custom');
  recomputeCustom(connector, permissions);
}
