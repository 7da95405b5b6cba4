import type { JsonValue } from '../../json.js';
import { isRelayCapable } from '../../policy/index.js';
import { normalizeAddress } from '../../net/index.js';
import { selectionsFor } from '../selection.js';
import { defineRule, psQuote, rangeEvidence, type FindingDraft } from '../rule.js';
import { excludeFromRelayFix } from '../relay-fixes.js';

export default defineRule({
  meta: {
    id: 'load-balancer-in-relay-range',
    scope: 'server',
    defaultSeverity: 'critical',
    title: 'A load balancer is inside a relay range',
    description: 'A `--load-balancers` address is inside a relay-capable connector\'s ranges where that connector is selected: every client behind the balancer (internet included, when it does source NAT) can relay.',
    remediation: 'Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Remove=<the range above>}   # keep the balancer out, or make it preserve client addresses',
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay',
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
    ],
    needs: ['loadBalancers'],
    dependsOn: ['Enabled', 'Bindings', 'RemoteIPRanges', 'TransportRole', 'PermissionGroups', 'AuthMechanism'],
    wording: {
      impact: 'Every client behind the load balancer arrives with the balancer\'s address, so every one of them — possibly the whole internet — may relay.',
      action: 'Remove the load balancer address from the relay ranges',
    },
  },
  fix: (draft, context) => excludeFromRelayFix(draft, context, draft.evidence.loadBalancers ?? null, 'load balancer'),
  check: ({ snapshot, policy, options }) => {
    const balancers = [...new Set(options.loadBalancers.map((a) => normalizeAddress(a)).filter((a): a is string => a !== null))];
    const selected = selectionsFor(policy, balancers, (c) => isRelayCapable(policy, c));
    return snapshot.connectors.flatMap((c): FindingDraft[] => {
      const mine = selected.get(c);
      if (mine === undefined || !isRelayCapable(policy, c)) return [];
      const matches: JsonValue[] = [];
      const ranges: string[] = [];
      for (const address of balancers) {
        const hits = mine.filter((h) => h.address === address);
        const first = hits[0];
        if (first === undefined) continue;
        matches.push({ address, range: rangeEvidence(first.selection.range), bindings: hits.map((h) => h.binding) });
        if (!ranges.includes(first.selection.range.expression)) ranges.push(first.selection.range.expression);
      }
      if (matches.length === 0) return [];
      return [{
        connector: c,
        message: `${c.identity} is selected for load balancer ${matches.map((m) => (m as { address: string }).address).join(', ')} (range ${ranges.join(', ')}): whoever the balancer forwards may relay`,
        evidence: { loadBalancers: matches },
        remediation: `Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Remove=${ranges.map(psQuote).join(',')}}\n# then add back the relay hosts that range covered, without the balancer addresses`,
      }];
    });
  },
});
