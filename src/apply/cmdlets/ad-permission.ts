// Add- and Remove-ADPermission on a receive connector (extended rights only, reference §2.3),
// and the Test-ExrelayPermission guard's question "does the ACL hold this entry?".
import type { ReceiveConnector, Snapshot } from '../../model.js';
import { addRight, recomputeCustom, removeRight } from '../acl.js';
import type { Params } from '../binding.js';
import { NotModelled, Refusal, eq, str } from '../coercion.js';
import { closestRight, looksLikeSmtpRight, resolveExtendedRight } from '../extended-rights.js';
import { isTruthy, toStringList } from '../values.js';
import { requireConnector } from './lookup.js';

export function addADPermission(snap: Snapshot, b: Params): string {
  return adPermission(snap, b, 'add');
}

export function removeADPermission(snap: Snapshot, b: Params): string {
  return adPermission(snap, b, 'remove');
}

function adPermission(snap: Snapshot, b: Params, op: 'add' | 'remove'): string {
  const c = requireConnector(snap, b);
  const user = str(b, 'User');
  if (user === undefined || user.trim() === '') throw new Refusal('-User is required');
  const rightsBound = b.get('ExtendedRights');
  if (rightsBound === undefined) throw new Refusal('only entries with -ExtendedRights are modelled (receive-connector rights are extended rights)');
  // Rights are spelled as Microsoft spells them in the result, however the script wrote them.
  const rights = toStringList(rightsBound.value).flatMap((r) => r.split(',')).map((r) => r.trim()).filter((r) => r !== '').map(knownRight);
  const deny = isTruthy(b.get('Deny')?.value ?? false);
  const permissions = snap.permissions;
  let touched = false;
  for (const right of rights) {
    touched = (op === 'add' ? addRight(c, permissions, user, right, deny) : removeRight(c, permissions, user, right, deny)) || touched;
  }
  if (op === 'remove' && !touched) throw new Refusal(`no ${deny ? 'Deny' : 'Allow'} entry for ${user} with ${rights.join(', ')} on ${c.identity}`);
  recomputeCustom(c, permissions);
  return `${op === 'add' ? 'added' : 'removed'} ${deny ? 'Deny' : 'Allow'} ${rights.join(', ')} for ${user} on ${c.identity}`;
}

/**
 * A -ExtendedRights name resolved as the cmdlet resolves it. The cmdlet looks every name up in
 * Active Directory before it changes anything, so one unknown name fails the whole statement.
 * UNSURE(wording): Exchange's exact error text is not in the reference; the message says what
 * happens (the right is not found) in our words.
 */
function knownRight(written: string): string {
  const right = resolveExtendedRight(written);
  if (right !== null) return right;
  if (looksLikeSmtpRight(written)) {
    const near = closestRight(written);
    throw new Refusal(`the extended right "${written}" was not found in Active Directory${near === null ? '' : ` (did you mean ${near}?)`}`);
  }
  // Send-As, Receive-As and other directory rights exist, but grant nothing on a receive connector
  // that the model represents.
  throw new NotModelled(`"${written}" is not an SMTP extended right; its effect on a receive connector is not modelled`);
}

/** Whether the connector's ACL holds the entry: explicitly, or through its groups. */
export function holdsEntry(snap: Snapshot, c: ReceiveConnector, user: string, right: string, deny: boolean): boolean {
  const explicit = snap.permissions.some((p) => eq(p.identity, c.identity) && !p.inherited && p.deny === deny && eq(p.user, user)
    && p.extendedRights.some((r) => eq(r, right)));
  if (explicit) return true;
  // addRight refuses nothing it would not add: ask it on a scratch copy.
  const scratch = structuredClone(c);
  return !addRight(scratch, [], user, right, deny);
}
