import { canRelayAnonymously } from '../../policy/index.js';
import { defineRule, isCustomConnector, type FindingDraft } from '../rule.js';
import { formatBinding } from '../../net/index.js';

export default defineRule({
  meta: {
    id: 'hub-transport-relay-connector',
    defaultSeverity: 'medium',
    title: 'Custom relay connector on the hub Transport service',
    description: 'On a server that has FrontendTransport connectors (2013 or later), a custom HubTransport connector grants anonymous relay or is bound to port 25 (a 2010 habit: on 2013+ such connectors belong to Front End Transport).',
    remediation: '# Recreate it on Front End Transport (TransportRole cannot express the move for a hub port), then remove the hub one:\nNew-ReceiveConnector -Name <name> -Server {server} -TransportRole FrontendTransport -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges <ranges>\nRemove-ReceiveConnector -Identity {identity}',
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay',
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
    ],
  },
  check: ({ snapshot, policy }) => {
    const withFrontend = new Set(snapshot.connectors.filter((c) => c.transportRole === 'FrontendTransport').map((c) => c.server.toLowerCase()));
    return snapshot.connectors.flatMap((c): FindingDraft[] => {
      if (c.transportRole !== 'HubTransport' || !withFrontend.has(c.server.toLowerCase()) || !isCustomConnector(c)) return [];
      const relay = c.enabled && canRelayAnonymously(policy, c);
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
