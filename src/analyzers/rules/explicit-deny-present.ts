import type { JsonValue } from '../../json.js';
import type { Permission, ReceiveConnector } from '../../model.js';
import { PERMISSION_GROUP_ACES, canonicalPrincipal, canonicalRight, isSetupDeny, permissionEntriesOf, principalKey } from '../../policy/index.js';
import { AUTHENTICATED_USERS, EVERYONE } from '../../principals.js';
import { withConnector } from '../fixes.js';
import { defineRule, psQuote, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';

/**
 * The Allow grants (group ACEs and entries) on `c` naming `right` that a session of the denied
 * principal could use: its own, and for an account or group (not a well-known principal) also
 * those of Authenticated Users, Everyone and any other account or group, since memberships are
 * not in the exports.
 */
function allowsFor(policy: RuleContext['policy'], c: ReceiveConnector, user: string, right: string): string[] {
  const key = principalKey(user);
  const account = canonicalPrincipal(user) === null;
  const reaches = (other: string): boolean => principalKey(other) === key
    || (account && (canonicalPrincipal(other) === null || principalKey(other) === principalKey(AUTHENTICATED_USERS) || principalKey(other) === principalKey(EVERYONE)));
  const r = right.toLowerCase();
  const out: string[] = [];
  for (const ace of PERMISSION_GROUP_ACES) {
    if (!ace.deny && c.permissionGroups.includes(ace.group) && reaches(ace.principal) && ace.rights.some((x) => x.toLowerCase() === r)) out.push(`the ${ace.group} permission group`);
  }
  for (const p of permissionEntriesOf(policy, c)) {
    if (!p.deny && reaches(p.user)
      && p.extendedRights.some((x) => canonicalRight(x).toLowerCase() === r)) out.push(`an ${p.inherited ? 'inherited' : 'explicit'} Allow entry for ${p.user}`);
  }
  return [...new Set(out)];
}

// A Deny is somebody's deliberate restriction; removing it is offered as a script only when it
// restricts nothing: the principal holds no Allow for those rights on the connector, so the
// removal changes no session. Where an Allow exists, removing the Deny grants it, and whether
// that is wanted is the customer's decision. Entries for Authenticated Users or Everyone reach
// every account (whose own grants the export may not show), so they are never removed by a fix.
function fix(draft: FindingDraft, { policy }: RuleContext): FixCandidate {
  return withConnector(draft, (c) => {
    const user = typeof draft.evidence['principal'] === 'string' ? draft.evidence['principal'] : '';
    const rightsValue = draft.evidence['rights'];
    const rights = Array.isArray(rightsValue) ? rightsValue.filter((r): r is string => typeof r === 'string') : [];
    const key = principalKey(user);
    const entries = permissionEntriesOf(policy, c).filter((p) => p.deny && principalKey(p.user) === key);
    if (entries.some((e) => e.inherited)) {
      return { manual: `The Deny for ${user} on ${c.identity} is inherited from a parent object in Active Directory (the server or the protocol container), so it also applies to other connectors. Review it where it is set (ADSI Edit or Get-ADPermission on the parent); exrelay does not change inherited entries.` };
    }
    if (rights.length === 0) {
      return { manual: `The Deny for ${user} on ${c.identity} names no extended right (see its AccessRights): it may deny every right. Review it with Get-ADPermission -Identity ${psQuote(c.identity)} -User ${psQuote(user)} and document or remove it by hand.` };
    }
    const command = `Remove-ADPermission -Identity ${psQuote(c.identity)} -User ${psQuote(user)} -ExtendedRights ${rights.map(psQuote).join(',')} -Deny -Confirm:$false -ErrorAction Stop`;
    if (key === principalKey(AUTHENTICATED_USERS) || key === principalKey(EVERYONE)) {
      return { manual: `The Deny for ${user} on ${c.identity} restricts every account that logs on (${rights.join(', ')}); which accounts hold those rights otherwise is not in the export. Keep it if it is intended (and document why); to lift it: ${command}` };
    }
    const granted = rights.flatMap((r) => allowsFor(policy, c, user, r).map((source) => `${r} (granted by ${source})`));
    if (granted.length > 0) {
      return { manual: `The Deny for ${user} on ${c.identity} overrides ${granted.join('; ')}: removing it would give ${user} those rights. Keep it if the restriction is intended and document why; remove it only if the grant is wanted: ${command}` };
    }
    return { script: command, fallback: `The Deny for ${user} on ${c.identity} overrides no grant; remove it or document why it is there.` };
  });
}

export default defineRule({
  meta: {
    id: 'explicit-deny-present',
    scope: 'connector',
    defaultSeverity: 'info',
    title: 'Deny entry on a receive connector',
    description: 'A Deny entry that setup did not create exists on a connector (the ExchangeLegacyInterop Deny entries that come with the ExchangeLegacyServers group do not count).',
    remediation: 'Get-ADPermission -Identity {identity} | Where-Object { $_.Deny } | Format-Table User,ExtendedRights,IsInherited   # review; remove with Remove-ADPermission -Deny',
    references: [
      'https://learn.microsoft.com/powershell/module/exchange/get-adpermission',
      'https://learn.microsoft.com/powershell/module/exchange/remove-adpermission',
    ],
    needs: ['permissions'],
    wording: {
      impact: 'An explicit Deny overrides every grant; someone restricted this connector by hand. Make sure it is intended and documented.',
      action: 'Document or remove the explicit Deny entry',
    },
  },
  check: ({ snapshot }) => {
    const connectors = new Map<string, ReceiveConnector>();
    for (const c of snapshot.connectors) if (!connectors.has(c.identity.toLowerCase())) connectors.set(c.identity.toLowerCase(), c);
    // One finding per connector and principal, listing the denied rights.
    const groups = new Map<string, { connector: ReceiveConnector; user: string; entries: Permission[]; rights: string[] }>();
    for (const p of snapshot.permissions) {
      if (!p.deny) continue;
      const connector = connectors.get(p.identity.toLowerCase());
      if (connector === undefined) continue;
      const canonical = canonicalPrincipal(p.user);
      const rights = p.extendedRights.filter((r) => !isSetupDeny(p.user, r, canonical));
      // An entry with no extended right (e.g. Deny GenericAll) is not setup's either.
      if (p.extendedRights.length > 0 && rights.length === 0) continue;
      const key = `${connector.identity.toLowerCase()}|${(canonical ?? p.user).toLowerCase()}`;
      let g = groups.get(key);
      if (g === undefined) { g = { connector, user: p.user, entries: [], rights: [] }; groups.set(key, g); }
      g.entries.push(p);
      for (const r of rights) if (!g.rights.includes(canonicalRight(r))) g.rights.push(canonicalRight(r));
    }
    const out: FindingDraft[] = [];
    for (const g of groups.values()) {
      const inherited = g.entries.some((e) => e.inherited);
      const rightsText = g.rights.length > 0 ? g.rights.join(', ') : '(no extended right named: see AccessRights)';
      out.push({
        connector: g.connector,
        message: `${g.connector.identity}: ${g.user} is denied ${rightsText}${inherited ? ' (inherited)' : ''}`,
        evidence: {
          principal: g.user,
          rights: g.rights,
          entries: g.entries.map((e): JsonValue => ({ user: e.user, deny: e.deny, inherited: e.inherited, extendedRights: [...e.extendedRights] })),
        },
      });
    }
    return out;
  },
  remediationFromFix: true,
  fix,
});
