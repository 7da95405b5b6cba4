import type { ReceiveConnector } from '../../model.js';
import { defineRule, isCustomConnector, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';
import { bindingsOverlap, formatBinding, intervalRelation, tryRangeInterval } from '../../net/index.js';
import { setConnector, withConnector } from '../fixes.js';

/** A Front End connector `c` would clash with once it is FrontendTransport (reference §4.4 rules 3 and 4), or null. */
function frontEndClash(connectors: readonly ReceiveConnector[], c: ReceiveConnector): ReceiveConnector | null {
  for (const o of connectors) {
    if (o === c || o.transportRole !== 'FrontendTransport' || o.server.toLowerCase() !== c.server.toLowerCase()) continue;
    for (const b1 of c.bindings) {
      for (const b2 of o.bindings) {
        if (!bindingsOverlap(b1, b2)) continue;
        const identical = b1.address.toLowerCase() === b2.address.toLowerCase() && b1.port === b2.port;
        for (const r1 of c.remoteIPRanges) {
          for (const r2 of o.remoteIPRanges) {
            const i1 = tryRangeInterval(r1);
            const i2 = tryRangeInterval(r2);
            if (i1 === null || i2 === null) continue;
            const rel = intervalRelation(i1, i2);
            if (rel === 'partial' || (rel === 'equal' && identical)) return o;
          }
        }
      }
    }
  }
  return null;
}

// A custom HubTransport connector on a Front End port is the classic mistake (reference §4.5:
// port-25 relay and partner connectors belong to FrontendTransport); making it FrontendTransport
// keeps its ranges and rights and lets both services start. That is provable only when it then
// fits beside the Front End connectors (nested or disjoint ranges). A Front End connector on a
// hub port, or setup's hub connector, needs a decision about where its clients should connect.
function fix(draft: FindingDraft, { snapshot }: RuleContext): FixCandidate {
  return withConnector(draft, (hub) => {
    const front = draft.involves?.[0];
    const port = hub.bindings.find((b) => front?.bindings.some((f) => bindingsOverlap(b, f)) === true)?.port;
    if (!isCustomConnector(hub) || front === undefined) {
      return { manual: `${front?.identity ?? 'A Front End connector'} binds port ${port ?? '?'} that setup's ${hub.identity} (HubTransport) needs. Move ${front?.identity ?? 'it'} to a port of its own (Set-ReceiveConnector -Bindings) after checking which clients connect to it, or make it a HubTransport connector if it serves Exchange servers.` };
    }
    const clash = frontEndClash(snapshot.connectors, hub);
    if (clash !== null) {
      return { manual: `${hub.identity} (HubTransport) would belong on the Front End Transport service, but as FrontendTransport its remote ranges would collide with ${clash.identity} (equal ranges on the same binding or partly overlapping), which Exchange refuses. Merge its clients into ${clash.identity} or give ${hub.identity} ranges nested in or apart from those of ${clash.identity}, then set -TransportRole FrontendTransport.` };
    }
    return {
      script: setConnector(hub, '-TransportRole FrontendTransport'),
      fallback: `Move ${hub.identity} to the Front End Transport service (-TransportRole FrontendTransport) or to a port of its own, after checking which clients connect to it.`,
    };
  });
}

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
    scope: 'server',
    defaultSeverity: 'critical',
    title: 'Connectors of both transport services bind the same address and port',
    description: 'Two enabled connectors of different transport roles on the same server bind the same address and port: one transport service cannot bind the port, and mail on it stops (reference §4.4). The connector that loses the port is reported here, not as shadowed-connector.',
    remediation: "Set-ReceiveConnector -Identity {identity} -TransportRole FrontendTransport -ErrorAction Stop   # a port the Front End service owns needs a FrontendTransport connector",
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
  remediationFromFix: true,
  fix,
});
