import type { ReceiveConnector } from '../../model.js';
import { defineRule, roleKey, type FindingDraft } from '../rule.js';
import { bindingSetKey, formatBinding } from '../../net/index.js';

// first/last are RFC 5952 in the snapshot (contract), so the text compares as the address.
export function rangeSetKey(c: ReceiveConnector): string {
  return [...new Set(c.remoteIPRanges.map((r) => `${r.first.toLowerCase()}-${r.last.toLowerCase()}`))].sort().join(',');
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
    // Bucket on cheap properties first (role, bindings, number of ranges); the full range key
    // is built only where two connectors could still be equal.
    const buckets = new Map<string, ReceiveConnector[]>();
    for (const c of snapshot.connectors) {
      if (!c.enabled || c.bindings.length === 0) continue;
      const key = `${roleKey(c)}#${bindingSetKey(c.bindings)}#${c.remoteIPRanges.length}`;
      const list = buckets.get(key);
      if (list === undefined) buckets.set(key, [c]); else list.push(c);
    }
    const groups = new Map<string, ReceiveConnector[]>();
    for (const [key, list] of buckets) {
      if (list.length < 2) continue;
      for (const c of list) {
        const full = `${key}#${rangeSetKey(c)}`;
        groups.set(full, [...(groups.get(full) ?? []), c]);
      }
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
              bindings: a.bindings.map(formatBinding),
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
