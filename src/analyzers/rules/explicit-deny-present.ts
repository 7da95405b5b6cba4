import type { JsonValue } from '../../json.js';
import type { Permission, ReceiveConnector } from '../../model.js';
import { canonicalPrincipal, canonicalRight, isSetupDeny } from '../../policy/index.js';
import { defineRule, psQuote, type FindingDraft } from '../rule.js';

export default defineRule({
  meta: {
    id: 'explicit-deny-present',
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
        remediation: g.rights.length > 0 && !inherited
          ? `# Keep it if the Deny is intended; otherwise:\nRemove-ADPermission -Identity {identity} -User ${psQuote(g.user)} -ExtendedRights ${g.rights.map(psQuote).join(',')} -Deny -Confirm:$false`
          : undefined,
      });
    }
    return out;
  },
});
