// `exrelay migrate`'s read-back check (Assert-ExrelayConnector, defined in
// templates/partials/migrate-functions.hbs): what the script created must be what it meant to
// create, or the dry run stops there as the real script would.
import { AUTH_MECHANISMS, PERMISSION_GROUPS, type Snapshot } from '../../model.js';
import { sameBinding } from '../../net/index.js';
import type { Params } from '../binding.js';
import { eq, flags, toBinding } from '../coercion.js';
import { stringify, toStringList } from '../values.js';
import { findConnector } from './lookup.js';

/** Why the connector differs from the script's intent, or null when it matches. */
export function connectorDiffers(snap: Snapshot, b: Params): string | null {
  const identity = stringify(b.get('Identity')?.value ?? null);
  const c = findConnector(snap, identity);
  if (c === null) return `${identity} was not found after it was created`;
  const mark = stringify(b.get('Mark')?.value ?? null);
  const comment = c.extra?.['Comment'];
  if (!(typeof comment === 'string' && comment.includes(mark))) return `${identity} exists but its Comment lacks ${mark}`;
  const problems: string[] = [];
  const role = b.get('TransportRole');
  if (role !== undefined && c.transportRole !== null && !eq(c.transportRole, stringify(role.value))) problems.push(`TransportRole ${c.transportRole}`);
  const bindings = b.get('Bindings');
  if (bindings !== undefined) {
    const wanted = toStringList(bindings.value).map(toBinding);
    if (wanted.length !== c.bindings.length || !wanted.every((w) => c.bindings.some((x) => sameBinding(x, w)))) problems.push('Bindings');
  }
  const count = b.get('RemoteIPRangeCount');
  if (count !== undefined && Number(stringify(count.value)) !== c.remoteIPRanges.length) problems.push(`${c.remoteIPRanges.length} remote ranges`);
  const groups = b.get('PermissionGroups');
  if (groups !== undefined && flags(PERMISSION_GROUPS, toStringList(groups.value), 'PermissionGroups').join() !== c.permissionGroups.filter((g) => g !== 'Custom').join()) problems.push('PermissionGroups');
  const auth = b.get('AuthMechanism');
  if (auth !== undefined && flags(AUTH_MECHANISMS, toStringList(auth.value), 'AuthMechanism').join() !== c.authMechanism.join()) problems.push('AuthMechanism');
  return problems.length > 0 ? `${identity} differs from what the script creates: ${problems.join(', ')}` : null;
}
