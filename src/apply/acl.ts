// The AD entries that PermissionGroups stands for (reference §2.1) and how Add-/Remove-
// ADPermission and Set -PermissionGroups change a connector's ACL (§2.3). The model keeps the
// groups as groups (the policy engine turns them into effective rights) and lists only the
// entries that are *not* implied by them; these helpers keep that split true after each change.
import type { Permission, PermissionGroup, ReceiveConnector } from '../model.js';
import { PERMISSION_GROUP_ACES, isImpliedByGroups, nonDefaultEntries, principalMatches, type GroupAce } from '../policy/rights.js';

const eq = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();

/** Group rows of the policy engine's §2.1 table, keyed by group. */
function grantsOf(group: PermissionGroup): GroupAce[] {
  return PERMISSION_GROUP_ACES.filter((a) => a.group === group);
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
    const grants = grantsOf(group);
    const owning = grants.find((g) => g.deny === deny && principalMatches(g, user) && g.rights.some((r) => eq(r, right)));
    if (owning === undefined) continue;
    removed = true;
    // Materialise the group's other entries as explicit ones, minus the removed right.
    connector.permissionGroups = connector.permissionGroups.filter((g) => g !== group);
    for (const grant of grants) {
      const principal = grant.principal.startsWith('<DOMAIN>\\') ? domainPrincipal(grant.principal.slice('<DOMAIN>\\'.length), user, permissions) : grant.principal;
      for (const r of grant.rights) {
        if (grant === owning && eq(r, right)) continue;
        if (isImpliedByGroups(connector.permissionGroups, principal, r, grant.deny)) continue;
        // An export of the full ACL already lists the group's entries: keep one of each.
        if (permissions.some((p) => eq(p.identity, connector.identity) && !p.inherited && p.deny === grant.deny
          && principalMatches(grant, p.user) && p.extendedRights.some((x) => eq(x, r)))) continue;
        permissions.push({ identity: connector.identity, user: principal, deny: grant.deny, inherited: false, extendedRights: [r] });
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
  const allGroups = [...new Set(PERMISSION_GROUP_ACES.map((a) => a.group))];
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
