import type { ReceiveConnector } from '../../model.js';
import { defineRule, type FindingDraft } from '../rule.js';
import { bindingsOverlap, formatBinding } from '../../net/index.js';

/**
 * Whether every binding of `c` is also bound by an enabled connector of the other transport
 * role on its server (the losing side of a port-conflict, whatever the engine picks).
 */
export function lostToRoleConflict(connectors: readonly ReceiveConnector[], c: ReceiveConnector): boolean {
  if (c.transportRole === null || c.bindings.length === 0) return false;
  const others = connectors.filter((o) => o !== c && o.enabled && o.transportRole !== null && o.transportRole !== c.transportRole
    && o.server.toLowerCase() === c.server.toLowerCase());
  return c.bindings.every((b) => others.some((o) => o.bindings.some((ob) => bindingsOverlap(b, ob))));
}

export default defineRule({
  meta: {
    id: 'port-conflict',
    defaultSeverity: 'critical',
    title: 'Connectors of both transport services bind the same address and port',
    description: 'Two enabled connectors of different transport roles on the same server bind the same address and port: one transport service cannot bind the port, and mail on it stops (reference §4.4). The connector that loses the port is reported here, not as shadowed-connector.',
    remediation: "# A port the Front End service owns needs a FrontendTransport connector; or move the hub connector to a port of its own.\nSet-ReceiveConnector -Identity {identity} -TransportRole FrontendTransport",
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
      'https://learn.microsoft.com/powershell/module/exchange/set-receiveconnector',
    ],
    dependsOn: ['Enabled', 'Bindings', 'TransportRole'],
    wording: {
      impact: 'One of the two transport services cannot open its port and fails to start: mail flow stops.',
      action: 'Move one of the conflicting connectors to another binding',
    },
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
            involves: [f],
            message: `${h.identity} (HubTransport) and ${f.identity} (FrontendTransport) both bind ${[...new Set(clashes.map((c) => c.hub))].join(', ')}: one of the two transport services cannot open the port, and mail on it stops`,
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
