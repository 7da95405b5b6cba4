import type { ReceiveConnector } from '../../model.js';
import { normalizeAddress } from '../../policy/index.js';
import { bindingSetKey, bindingText, defineRule, roleKey, type FindingDraft } from '../rule.js';

function rangeSetKey(c: ReceiveConnector): string {
  return [...new Set(c.remoteIPRanges.map((r) => `${normalizeAddress(r.first) ?? r.first}-${normalizeAddress(r.last) ?? r.last}`))].sort().join(',');
}

export default defineRule({
  meta: {
    id: 'duplicate-connector-scope',
    defaultSeverity: 'high',
    title: 'Two connectors with the same bindings and remote ranges',
    description: 'Two enabled connectors on the same server and transport role have the same bindings and the same set of remote ranges, so Exchange cannot tell them apart.',
    remediation: 'Remove-ReceiveConnector -Identity {identity}   # after merging its settings into the other connector',
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
      'https://learn.microsoft.com/powershell/module/exchange/remove-receiveconnector',
    ],
  },
  check: ({ snapshot }) => {
    const groups = new Map<string, ReceiveConnector[]>();
    for (const c of snapshot.connectors) {
      if (!c.enabled || c.bindings.length === 0) continue;
      const key = `${roleKey(c)}#${bindingSetKey(c.bindings)}#${rangeSetKey(c)}`;
      groups.set(key, [...(groups.get(key) ?? []), c]);
    }
    const out: FindingDraft[] = [];
    for (const list of groups.values()) {
      for (let i = 0; i < list.length; i++) {
        for (let j = i + 1; j < list.length; j++) {
          const a = list[i] as ReceiveConnector;
          const b = list[j] as ReceiveConnector;
          out.push({
            connector: b,
            message: `${a.identity} and ${b.identity} have the same bindings and remote ranges; which one a client gets depends on AD order`,
            evidence: {
              connectors: [a.identity, b.identity],
              bindings: a.bindings.map(bindingText),
              remoteIPRanges: a.remoteIPRanges.slice(0, 50).map((r) => ({ expression: r.expression, first: r.first, last: r.last })),
              rangeCount: a.remoteIPRanges.length,
            },
          });
        }
      }
    }
    return out;
  },
});
