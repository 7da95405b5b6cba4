import { isExternallySecured } from '../../policy/index.js';
import { countText, intervalEvidence, listEvidence, mergeIntervals, rangesBehind, reachOf, shortList } from '../evidence.js';
import { defineRule, rangeEvidence, type FindingDraft } from '../rule.js';

export default defineRule({
  meta: {
    id: 'externally-secured-relay',
    defaultSeverity: 'critical',
    title: 'Externally secured connector: hosts are trusted as Exchange servers',
    description: 'An enabled connector has `ExternalAuthoritative` and `ExchangeServers`: every client in its ranges relays, bypasses anti-spam and size limits and may send as anyone (critical when public addresses reach it, high otherwise).',
    remediation: "# Prefer anonymous relay with only the rights needed (Microsoft's method A):\nSet-ReceiveConnector -Identity {identity} -AuthMechanism Tls -PermissionGroups AnonymousUsers\nGet-ReceiveConnector -Identity {identity} | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient'",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay',
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
    ],
    dependsOn: ['Enabled', 'Bindings', 'RemoteIPRanges', 'TransportRole', 'PermissionGroups', 'AuthMechanism'],
    wording: {
      impact: 'Every host in the ranges is trusted as if it were an Exchange server: it may relay anywhere, send as any sender (executives included) and bypass anti-spam and size limits.',
      action: 'Replace the externally secured trust with a narrow anonymous relay',
    },
    gradedWording: {
      high: {
        impact: 'Every internal host in the ranges is trusted as if it were an Exchange server: it may relay anywhere, send as any sender and bypass anti-spam and size limits.',
        action: 'Replace the externally secured trust with a narrow anonymous relay',
      },
    },
  },
  check: ({ snapshot, policy }) => snapshot.connectors.flatMap((c): FindingDraft[] => {
    if (!c.enabled || !isExternallySecured(c)) return [];
    const reach = reachOf(policy, c);
    const isPublic = reach.publicParts.length > 0;
    const publicMerged = mergeIntervals(reach.publicParts.map((p) => p.interval));
    const publicReach = listEvidence(publicMerged).map(intervalEvidence);
    return [{
      connector: c,
      severity: isPublic ? 'critical' : 'high',
      message: isPublic
        ? `${c.identity} treats public addresses (${shortList(publicReach.map((r) => r.expression), 3, publicMerged.length)}) as Exchange servers: they relay, bypass anti-spam and may send as anyone`
        : `${c.identity} treats ${countText(reach.breadth)} private address(es) as Exchange servers (relay, anti-spam and size limits bypassed)`,
      evidence: {
        ranges: listEvidence(c.remoteIPRanges).map(rangeEvidence),
        rangeCount: c.remoteIPRanges.length,
        ...(isPublic ? { publicRanges: listEvidence(rangesBehind(reach.publicParts.map((p) => p.won))), publicReachable: listEvidence(publicReach) } : {}),
        addresses: countText(reach.breadth),
        authMechanism: [...c.authMechanism],
        permissionGroups: [...c.permissionGroups],
      },
    }];
  }),
});
