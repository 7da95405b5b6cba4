import type { ReceiveConnector } from '../../model.js';
import { defineRule, type FindingDraft } from '../rule.js';
import { bindingsOverlap, formatBinding } from '../../net/index.js';

export default defineRule({
  meta: {
    id: 'port-conflict',
    defaultSeverity: 'high',
    title: 'Connectors of both transport services bind the same address and port',
    description: 'Two enabled connectors of different transport roles on the same server bind the same address and port (one transport service will fail to start).',
    remediation: "# A port the Front End service owns needs a FrontendTransport connector; or move the hub connector to a port of its own.\nSet-ReceiveConnector -Identity {identity} -TransportRole FrontendTransport",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
      'https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector',
    ],
  },
  check: ({ snapshot }) => {
    const byServer = new Map<string, ReceiveConnector[]>();
    for (const c of snapshot.connectors) {
      // Exchange 2010 connectors have no role: one service owns every port.
      if (!c.enabled || c.transportRole === null) continue;
      const key = c.server.toLowerCase();
      byServer.set(key, [...(byServer.get(key) ?? []), c]);
    }
    const out: FindingDraft[] = [];
    for (const list of byServer.values()) {
      const front = list.filter((c) => c.transportRole === 'FrontendTransport');
      const hub = list.filter((c) => c.transportRole === 'HubTransport');
      for (const h of hub) {
        for (const f of front) {
          const clashes: Array<{ hub: string; frontend: string }> = [];
          for (const hb of h.bindings) for (const fb of f.bindings) if (bindingsOverlap(hb, fb)) clashes.push({ hub: formatBinding(hb), frontend: formatBinding(fb) });
          if (clashes.length === 0) continue;
          out.push({
            connector: h,
            message: `${h.identity} (HubTransport) and ${f.identity} (FrontendTransport) both bind ${[...new Set(clashes.map((c) => c.hub))].join(', ')}: one transport service cannot open its listener`,
            evidence: {
              connectors: [{ identity: h.identity, transportRole: 'HubTransport' }, { identity: f.identity, transportRole: 'FrontendTransport' }],
              bindings: clashes,
            },
          });
        }
      }
    }
    return out;
  },
});
