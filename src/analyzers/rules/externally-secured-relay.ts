import { isExternallySecured } from '../../policy/index.js';
import type { Interval } from '../../net/index.js';
import { intervalEvidence, listEvidence, mergeIntervals, rangesBehind, rangesByReach, reachOf, shortList, subtractIntervals } from '../evidence.js';
import { scopeText } from '../../sizes.js';
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
    const publicMerged = mergeIntervals(reach.publicParts.map((p) => p.interval));
    const privateMerged = subtractIntervals(reach.merged, publicMerged);
    const isPublic = publicMerged.length > 0;
    // Named by the configured ranges that give the reach (as the admin wrote them), not by engine fragments.
    const publicNames = rangesBehind(reach.publicParts.map((p) => p.won)).map((r) => r.expression);
    const publicSet = new Set(publicNames);
    const privateNames = rangesByReach(reach.won, 8).map((r) => r.expression).filter((e) => !publicSet.has(e));
    const names = (configured: string[], xs: Interval[]): string => (configured.length > 0
      ? shortList(configured.slice(0, 4), 3, configured.length) : shortList(xs.slice(0, 4).map((i) => intervalEvidence(i).expression), 3, xs.length));
    const scope = [
      isPublic ? `${scopeText(publicMerged)} public (${names(publicNames, publicMerged)})` : null,
      privateMerged.length > 0 ? `${scopeText(privateMerged)} private (${names(privateNames, privateMerged)})` : null,
    ].filter((x) => x !== null).join(' and ');
    return [{
      connector: c,
      severity: isPublic ? 'critical' : 'high',
      message: reach.breadth === 0n
        ? `${c.identity} would treat the hosts of its ranges as Exchange servers, but no address selects it today`
        : `${c.identity} treats ${scope} as Exchange servers: they relay to any domain, bypass anti-spam and size limits and may send as anyone`,
      evidence: {
        ranges: listEvidence(c.remoteIPRanges).map(rangeEvidence),
        ...(isPublic ? { publicRanges: listEvidence(rangesBehind(reach.publicParts.map((p) => p.won))) } : {}),
        reachableFrom: listEvidence(reach.merged).map(intervalEvidence),
        publicReach: isPublic ? scopeText(publicMerged) : 'none',
        privateReach: privateMerged.length > 0 ? scopeText(privateMerged) : 'none',
        authMechanism: [...c.authMechanism],
        permissionGroups: [...c.permissionGroups],
      },
    }];
  }),
});
