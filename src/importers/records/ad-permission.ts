// Get-ADPermission record (ADAcePresentationObject) → Permission (reference §8).
import type { ImportWarning, Permission } from '../../model.js';
import { canonicalPrincipal } from '../../principals.js';
import { connectorIdentityFromPath } from '../ad-object-id.js';
import { parseBoolean, psList, psText } from '../ps-values.js';
import { getProp, type PsRecord } from '../types.js';
import { buildExtra, lowerSet, text, warn, type Mapped } from './common.js';

const MAPPED = lowerSet(['Identity', 'User', 'Deny', 'IsInherited', 'Inherited', 'ExtendedRights', 'Rights']);

/**
 * `Get-ADPermission -Identity <DN>` (as the collect script runs it) may print the connector as
 * its distinguished name or canonical path; both name the server and the connector, so they
 * become the `SERVER\Name` identity that Get-ReceiveConnector prints.
 */
export { connectorIdentityFromPath };

export function mapAdPermission(record: PsRecord): Mapped<Permission> {
  const warnings: ImportWarning[] = [];
  const exported = text(record, 'Identity') ?? '';
  const identity = connectorIdentityFromPath(exported) ?? exported;
  const user = text(record, 'User');
  if (user === null || user === '') {
    warnings.push(warn(record, null, 'AD permission entry without User: skipped'));
    return { value: null, warnings };
  }
  if (identity === '') warnings.push(warn(record, null, `AD permission entry for ${user} has no Identity (which connector it is on is unknown)`));

  const flag = (names: string[], fallback: boolean): boolean => {
    for (const name of names) {
      const raw = getProp(record, name);
      if (raw === undefined || raw === null || raw === '') continue;
      if (typeof raw === 'boolean') return raw;
      const b = parseBoolean(psText(raw) ?? '');
      if (b !== undefined) return b;
      warnings.push(warn(record, name, `${identity} ${user}: ${name} "${psText(raw) ?? ''}" is not True/False; assumed ${String(fallback)}`));
      return fallback;
    }
    return fallback;
  };

  // ExtendedRights prints as a list ({ms-Exch-SMTP-Submit}); a calculated "Rights" column is the same data.
  const rightsRaw = getProp(record, 'ExtendedRights') ?? getProp(record, 'Rights');
  const extendedRights: string[] = [];
  for (const item of psList(rightsRaw ?? null, 'any')) {
    const right = psText(item)?.trim() ?? '';
    if (right !== '' && !extendedRights.includes(right)) extendedRights.push(right);
  }

  const permission: Permission = {
    identity,
    user,
    deny: flag(['Deny'], false),
    inherited: flag(['IsInherited', 'Inherited'], false),
    extendedRights,
    extra: buildExtra(record, MAPPED),
  };
  if (identity !== exported && permission.extra !== undefined) permission.extra.exportedIdentity = exported;
  // A capture without these columns (the default view has no ExtendedRights) says nothing about
  // them: recorded, so that merging can let a capture that shows them complete the entry.
  const assumed = [['ExtendedRights', 'Rights'], ['Deny'], ['IsInherited', 'Inherited']]
    .filter((names) => names.every((n) => getProp(record, n) === undefined)).map((names) => names[0] as string);
  if (assumed.length > 0 && permission.extra !== undefined) permission.extra.assumed = assumed.sort();
  const canonical = canonicalPrincipal(user);
  if (canonical !== null && canonical !== user && permission.extra !== undefined) permission.extra.principal = canonical;
  return { value: permission, warnings };
}
