import { ANONYMOUS_LOGON, SMTP_SUBMIT, canonicalPrincipal } from '../../policy/index.js';
import type { ReceiveConnector } from '../../model.js';
import { describeRight, rightEvidence, rightsOf } from '../evidence.js';
import { defaultConnectorKind, defineRule, psQuote, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';
import { addAnonymousRights } from '../relay-fixes.js';

/**
 * Restores what inbound internet mail needs (rules.md "Fixes"): the connector enabled, port 25
 * bound, anonymous Submit (an explicit Deny removed first, then the AnonymousUsers group).
 */
function restoreFix(draft: FindingDraft, context: RuleContext): FixCandidate {
  const c = draft.connector;
  if (c === null || c === undefined) return { manual: 'Restore the Default Frontend connector by hand.' };
  const id = psQuote(c.identity);
  const lines: string[] = [];
  if (!c.enabled) lines.push(`Set-ReceiveConnector -Identity ${id} -Enabled $true`);
  if (!c.bindings.some((b) => b.port === 25)) lines.push(`Set-ReceiveConnector -Identity ${id} -Bindings @{Add='0.0.0.0:25','[::]:25'}`);
  const [submit] = rightsOf(context.policy, c, 'anonymous', [SMTP_SUBMIT]);
  if (submit !== undefined && !submit.allowed) {
    for (const source of submit.deniedBy) {
      if (source.kind !== 'permission' || source.inherited) {
        return { manual: `Anonymous is denied ms-Exch-SMTP-Submit on ${c.identity} by ${describeRight(submit)}, which cannot be changed on the connector itself: remove that Deny where it is set, then restore the AnonymousUsers permission group.` };
      }
      const line = `Remove-ADPermission -Identity ${id} -User ${psQuote(source.user)} -ExtendedRights ${psQuote(SMTP_SUBMIT)} -Deny -Confirm:$false`;
      if (!lines.includes(line)) lines.push(line);
    }
    const groups = c.permissionGroups.filter((g) => g !== 'Custom');
    if (!groups.includes('AnonymousUsers')) lines.push(`Set-ReceiveConnector -Identity ${id} -PermissionGroups ${psQuote([...groups, 'AnonymousUsers'].join(', '))}`);
    else if (submit.deniedBy.length === 0) lines.push(addAnonymousRights(c, [SMTP_SUBMIT]));
  }
  if (lines.length === 0) return { manual: `Restore ${c.identity} as setup created it (enabled, bound to port 25, AnonymousUsers in its permission groups).` };
  return { script: lines.join('\n'), fallback: `Restore ${c.identity} as setup created it (enabled, bound to port 25, anonymous ms-Exch-SMTP-Submit through the AnonymousUsers group) and check that no other connector on the server took port 25 meanwhile.` };
}
import { formatBinding } from '../../net/index.js';

export default defineRule({
  meta: {
    id: 'default-frontend-altered',
    scope: 'connector',
    defaultSeverity: 'high',
    title: 'Default Frontend no longer takes anonymous internet mail',
    description: 'On a `Default Frontend` connector anonymous no longer effectively holds `ms-Exch-SMTP-Submit`, or it no longer binds port 25, or it is disabled (inbound internet mail stops). Removing only sender rights (anti-spoofing hardening) is not this finding.',
    remediation: "Set-ReceiveConnector -Identity {identity} -Enabled $true -Bindings @{Add='0.0.0.0:25','[::]:25'}\nGet-ReceiveConnector -Identity {identity} | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Submit'",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
      'https://learn.microsoft.com/powershell/module/exchange/add-adpermission',
    ],
    dependsOn: ['Enabled', 'Bindings', 'PermissionGroups'],
    wording: {
      impact: 'Inbound internet mail may be refused.',
      action: 'Restore the default front-end connector',
    },
  },
  appliesTo: (c) => defaultConnectorKind(c) === 'Default Frontend',
  fix: restoreFix,
  check: ({ snapshot, policy }) => {
    // PermissionGroups `Custom` without AnonymousUsers is what anti-spoofing hardening leaves
    // (reference §2.3): anonymous keeps Submit through its own AD entries. When the export
    // holds no entry for anonymous on this connector (a filtered Get-ADPermission), we cannot
    // tell hardening from removal, so we do not claim Submit is gone.
    const submitUnknown = (c: ReceiveConnector): boolean => {
      if (!c.permissionGroups.includes('Custom')) return false;
      const identity = c.identity.toLowerCase();
      return !snapshot.permissions.some((p) => p.identity.toLowerCase() === identity && canonicalPrincipal(p.user) === ANONYMOUS_LOGON);
    };
    return snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (defaultConnectorKind(c) !== 'Default Frontend') return [];
    const [submit] = rightsOf(policy, c, 'anonymous', [SMTP_SUBMIT]);
    const problems: string[] = [];
    if (!c.enabled) problems.push('it is disabled');
    if (!c.bindings.some((b) => b.port === 25)) problems.push('it no longer binds port 25');
    if (submit !== undefined && !submit.allowed && !submitUnknown(c)) problems.push(`anonymous no longer holds ${describeRight(submit)}`);
    if (problems.length === 0) return [];
    return [{
      connector: c,
      message: `${c.identity}: ${problems.join('; ')}, so inbound internet mail stops`,
      evidence: {
        enabled: c.enabled,
        bindings: c.bindings.map(formatBinding),
        anonymousSubmit: submit === undefined ? null : rightEvidence(submit),
        permissionGroups: [...c.permissionGroups],
      },
    }];
    });
  },
});
