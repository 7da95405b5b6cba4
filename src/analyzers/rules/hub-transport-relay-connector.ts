import { canRelayAnonymously } from '../../policy/index.js';
import { sessionsExternallySecured } from '../evidence.js';
import { moveToFrontend, withConnector } from '../fixes.js';
import { defineRule, isCustomConnector, type FindingDraft } from '../rule.js';
import { formatBinding } from '../../net/index.js';

export default defineRule({
  meta: {
    id: 'hub-transport-relay-connector',
    scope: 'server',
    defaultSeverity: 'medium',
    title: 'Custom relay connector on the hub Transport service',
    description: 'On a server that has FrontendTransport connectors (2013 or later), a custom HubTransport connector grants anonymous relay or is bound to port 25 (a 2010 habit: on 2013+ such connectors belong to Front End Transport).',
    remediation: 'Remove the hub connector, then recreate it with the same name, bindings, RemoteIPRanges, PermissionGroups, AuthMechanism and settings with New-ReceiveConnector -TransportRole FrontendTransport -Custom (in this order: a Front End connector on the same bindings beside the hub one is a role conflict Exchange refuses), and add its explicit rights again with Add-ADPermission.',
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay',
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
    ],
    dependsOn: ['Enabled', 'Bindings', 'TransportRole', 'PermissionGroups', 'AuthMechanism'],
    wording: {
      impact: 'On Exchange 2013 and later port 25 belongs to the Front End Transport service; a hub connector here conflicts with it or relays in a way Microsoft does not support.',
      action: 'Recreate the relay connector in the Front End Transport role',
    },
  },
  remediationFromFix: true,
  fix: (draft, { snapshot }) => withConnector(draft, (c) => moveToFrontend(snapshot, c)),
  check: ({ snapshot, policy }) => {
    const withFrontend = new Set(snapshot.connectors.filter((c) => c.transportRole === 'FrontendTransport').map((c) => c.server.toLowerCase()));
    return snapshot.connectors.flatMap((c): FindingDraft[] => {
      if (c.transportRole !== 'HubTransport' || !withFrontend.has(c.server.toLowerCase()) || !isCustomConnector(c)) return [];
      const relay = c.enabled && canRelayAnonymously(policy, c) && !sessionsExternallySecured(c);
      const port25 = c.bindings.filter((b) => b.port === 25);
      if (!relay && port25.length === 0) return [];
      const why = [relay ? 'grants anonymous relay' : null, port25.length > 0 ? `binds ${port25.map(formatBinding).join(', ')}` : null].filter((x) => x !== null);
      return [{
        connector: c,
        message: `${c.identity} is a HubTransport connector that ${why.join(' and ')}; on 2013 and later relay connectors belong to Front End Transport`,
        evidence: { transportRole: 'HubTransport', bindings: c.bindings.map(formatBinding), anonymousRelay: relay },
      }];
    });
  },
});
