import { ANONYMOUS_LOGON, SMTP_SUBMIT, canonicalPrincipal } from '../../policy/index.js';
import type { ReceiveConnector } from '../../model.js';
import { describeRight, rightEvidence, rightsOf } from '../evidence.js';
import { defaultConnectorKind, defineRule, type FindingDraft } from '../rule.js';
import { formatBinding } from '../../net/index.js';

export default defineRule({
  meta: {
    id: 'default-frontend-altered',
    defaultSeverity: 'high',
    title: 'Default Frontend no longer takes anonymous internet mail',
    description: 'On a `Default Frontend` connector anonymous no longer effectively holds `ms-Exch-SMTP-Submit`, or it no longer binds port 25, or it is disabled (inbound internet mail stops). Removing only sender rights (anti-spoofing hardening) is not this finding.',
    remediation: "Set-ReceiveConnector -Identity {identity} -Enabled $true -Bindings @{Add='0.0.0.0:25','[::]:25'}\nGet-ReceiveConnector -Identity {identity} | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Submit'",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
      'https://learn.microsoft.com/powershell/module/exchange/add-adpermission',
    ],
  },
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
