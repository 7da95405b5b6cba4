import type { JsonValue } from '../../json.js';
import { isRelayCapable } from '../../policy/index.js';
import { normalizeAddress } from '../../net/index.js';
import { selectionsFor } from '../selection.js';
import { defineRule, psQuote, rangeEvidence, type FindingDraft } from '../rule.js';
import { excludeFromRelayFix } from '../relay-fixes.js';

/** Exchange generation from a server's version text (`Version 14.3 (Build 123.4)`), or null when unknown. */
export function exchangeGeneration(version: string | null | undefined): '2007' | '2010' | '2013+' | null {
  const m = /Version\s+(\d+)\./i.exec(version ?? '');
  if (m === null) return null;
  const major = Number(m[1]);
  return major === 8 ? '2007' : major === 14 ? '2010' : major >= 15 ? '2013+' : null;
}

export default defineRule({
  meta: {
    id: 'relay-range-includes-exchange-server',
    scope: 'server',
    defaultSeverity: 'high',
    title: 'A relay connector captures an Exchange server',
    description: 'A relay-capable connector\'s remote ranges contain an address of an Exchange server of the organisation (snapshot or `--exchange-servers`) and that connector would be selected for it: high when an Exchange 2010 or 2007 server is in range (they send to port 25, so their mail lands on the relay connector); medium when only 2013 or later servers are (they talk to each other on 2525 and 465), or the version is not in the export.',
    remediation: 'Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Remove=<the range above>}   # and add back the relay hosts without the server address',
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay',
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
    ],
    needs: ['exchangeServerAddresses'],
    dependsOn: ['Enabled', 'Bindings', 'RemoteIPRanges', 'TransportRole', 'PermissionGroups', 'AuthMechanism'],
    wording: {
      impact: 'Mail between Exchange servers lands on a relay connector instead of the default one, so internal mail is handled with the wrong rights; this breaks in hard-to-diagnose ways during migrations.',
      action: 'Remove the Exchange server addresses from the relay ranges',
    },
  },
  fix: (draft, context) => excludeFromRelayFix(draft, context, draft.evidence.exchangeServers ?? null, 'Exchange server'),
  check: ({ snapshot, policy, options }) => {
    const addresses: Array<{ server: string | null; address: string; generation: ReturnType<typeof exchangeGeneration> }> = [];
    const seen = new Set<string>();
    const add = (server: string | null, raw: string, generation: ReturnType<typeof exchangeGeneration>): void => {
      const address = normalizeAddress(raw);
      if (address === null || seen.has(address)) return;
      seen.add(address);
      addresses.push({ server, address, generation });
    };
    for (const s of snapshot.servers) for (const a of s.ipAddresses) add(s.name, a, exchangeGeneration(s.version));
    for (const a of options.exchangeServers) add(null, a, null);
    const selected = selectionsFor(policy, addresses.map((a) => a.address), (c) => isRelayCapable(policy, c));
    return snapshot.connectors.flatMap((c): FindingDraft[] => {
      const mine = selected.get(c);
      if (mine === undefined || !isRelayCapable(policy, c)) return [];
      const matches: JsonValue[] = [];
      const ranges: string[] = [];
      const names: string[] = [];
      const generations = new Set<string>();
      for (const { server, address, generation } of addresses) {
        const hits = mine.filter((h) => h.address === address);
        const first = hits[0];
        if (first === undefined) continue;
        generations.add(generation ?? 'unknown');
        matches.push({ server, address, version: generation === null ? 'not in the export' : `Exchange ${generation}`, range: rangeEvidence(first.selection.range), bindings: hits.map((h) => h.binding) });
        if (!ranges.includes(first.selection.range.expression)) ranges.push(first.selection.range.expression);
        names.push(`${server ?? 'Exchange server'} ${address} (range ${first.selection.range.expression})`);
      }
      if (matches.length === 0) return [];
      const legacy = generations.has('2010') || generations.has('2007');
      const why = legacy
        ? 'an Exchange 2010/2007 server sends its mail to port 25, so that mail is handled as relay traffic'
        : generations.has('unknown')
          ? 'that server\'s SMTP traffic to this connector is handled as relay traffic (its version is not in the export: if it is Exchange 2010 or 2007, which sends to port 25, this is high)'
          : 'Exchange 2013 and later servers talk to each other on 2525 and 465, so only their mail to this connector\'s ports is handled as relay traffic';
      return [{
        connector: c,
        severity: legacy ? 'high' : 'medium',
        message: `${c.identity} is the connector Exchange selects for ${names.join(', ')}: ${why}`,
        evidence: { exchangeServers: matches },
        remediation: `Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Remove=${ranges.map(psQuote).join(',')}}\n# then add back the relay hosts that range covered, without the Exchange server addresses`,
      }];
    });
  },
});
