import type { ReceiveConnector } from '../../model.js';
import { preparePartitions, winningIntervals, wonIntervalCount, type PolicyIndex, type WonInterval } from '../../policy/index.js';
import { formatBinding, parseAddress, tryRangeInterval } from '../../net/index.js';
import { psQuote } from '../../powershell/quote.js';
import { conflictOf, connectorIndex, setConnector, withConnector } from '../fixes.js';
import { defineRule, isCustomConnector, type FindingDraft, type FixCandidate, type RuleContext } from '../rule.js';

// A connector selected for no address changes no conversation when it is disabled: the
// provable step, reversible, and it keeps the settings for whoever meant the connector to win
// some hosts (then its ranges must be narrowed on purpose: a decision, not a script). Setup's
// connectors are never switched off by a fix.
function fix(draft: FindingDraft, { snapshot }: RuleContext): FixCandidate {
  return withConnector(draft, (c) => {
    if (!isCustomConnector(c)) {
      return { manual: `${c.identity} is one of setup's connectors and is never selected: another connector with the same or smaller ranges takes all of its clients. Find out why that connector covers its clients (its ranges were probably meant to be narrower) rather than changing ${c.identity}.` };
    }
    // Switching off one server's copy of a connector the other servers also have would make the
    // copies inconsistent (a finding of the same severity): the copies are decided together.
    const copies = copiesOf(snapshot.connectors, c);
    if (copies.length > 0) {
      return { manual: `${c.identity} is never selected, but the same connector also exists as ${copies.map((o) => o.identity).join(', ')}: switching off only this copy would make the servers answer differently. Decide for every copy together: if none is needed, remove them all; if this one was meant to win some hosts, give it (and its copies) the narrower ranges it was meant for.` };
    }
    // Exchange refuses any Set on a connector in conflict (equal ranges on its binding, …);
    // removing it is not validated and changes no conversation either.
    if (conflictOf(snapshot.connectors, c) !== null) {
      return { script: `Remove-ReceiveConnector -Identity ${psQuote(c.identity)} -Confirm:$false -ErrorAction Stop`, fallback: `${c.identity} is never selected; remove it or give it the narrower ranges it was meant to win.` };
    }
    return {
      script: setConnector(c, '-Enabled $false'),
      fallback: `${c.identity} is never selected. If it was meant to serve some hosts, give it ranges narrower than those of the connectors that win them; otherwise remove it (Remove-ReceiveConnector -Identity ${psQuote(c.identity)}).`,
    };
  });
}
import { lostToRoleConflict } from './port-conflict.js';
import { sharedName } from './connector-inconsistent-across-servers.js';

// Each finding's fix asked every connector of the estate for its shared name: the groups are made once per list.
const bySharedName = connectorIndex(sharedName);

/** The enabled copies of `c` on other servers: connectors whose shared name is c's in any case, in list order. */
export function copiesOf(connectors: readonly ReceiveConnector[], c: ReceiveConnector): ReceiveConnector[] {
  return bySharedName(connectors, sharedName(c)).filter((o) => o.enabled && o !== c && o.server.toLowerCase() !== c.server.toLowerCase());
}

/** The connectors that win any address of `connector`'s ranges, over its bindings. */
function winnersOver(policy: PolicyIndex, connector: ReceiveConnector, memo: Map<string, WonInterval[]>): string[] {
  const winners = new Set<string>();
  for (const b of connector.bindings) {
    const local = parseAddress(b.address);
    if (local === null) continue;
    const key = `${connector.server.toLowerCase()}|${b.port}|${b.address}`;
    let segments = memo.get(key);
    if (segments === undefined) {
      segments = winningIntervals(policy, { server: connector.server, port: b.port, localAddress: b.address });
      memo.set(key, segments);
    }
    for (const r of connector.remoteIPRanges) {
      const i = tryRangeInterval(r);
      if (i === null || i.family !== local.family) continue;
      // Binary search for the first segment that ends at or after the range's start.
      let lo = 0;
      let hi = segments.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        const s = segments[mid] as WonInterval;
        if (s.family < i.family || (s.family === i.family && s.last < i.first)) lo = mid + 1; else hi = mid;
      }
      for (let k = lo; k < segments.length && winners.size < 20; k++) {
        const s = segments[k] as WonInterval;
        if (s.family !== i.family || s.first > i.last) break;
        winners.add(s.connector.identity);
      }
    }
  }
  return [...winners].sort();
}

export default defineRule({
  meta: {
    id: 'shadowed-connector',
    scope: 'server',
    defaultSeverity: 'medium',
    title: 'Connector never selected',
    description: 'An enabled connector is selected for no remote address at all: every address of its ranges is won by another connector, so its settings never apply. A connector that loses its port to the other transport role is reported by port-conflict instead.',
    remediation: 'Set-ReceiveConnector -Identity {identity} -Enabled $false -ErrorAction Stop   # no client reaches it; or give it the narrower ranges it was meant to win',
    references: ['https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors'],
    dependsOn: ['Enabled', 'Bindings', 'RemoteIPRanges', 'TransportRole'],
    wording: {
      impact: 'The connector never answers anyone: its settings give a false picture of what is configured.',
      action: 'Remove the unused connector or fix its ranges',
    },
  },
  check: ({ snapshot, policy }) => {
    const memo = new Map<string, WonInterval[]>();
    return snapshot.connectors.flatMap((c): FindingDraft[] => {
      // Without bindings or ranges the export is incomplete rather than the connector shadowed.
      if (!c.enabled || c.bindings.length === 0 || c.remoteIPRanges.length === 0) return [];
      preparePartitions(policy);
      if (wonIntervalCount(policy, c) > 0) return [];
      // Losing the port to the other transport role is port-conflict's finding (rules.md).
      if (lostToRoleConflict(snapshot.connectors, c)) return [];
      const winners = winnersOver(policy, c, memo);
      return [{
        connector: c,
        message: winners.length > 0
          ? `${c.identity} is never selected: every address of its ranges goes to ${winners.join(', ')}`
          : `${c.identity} is never selected on ${c.bindings.map(formatBinding).join(', ')}`,
        evidence: { winners, bindings: c.bindings.map(formatBinding) },
      }];
    });
  },
  remediationFromFix: true,
  fix,
});
