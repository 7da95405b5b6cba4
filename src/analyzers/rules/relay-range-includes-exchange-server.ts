import type { JsonValue } from '../../json.js';
import { isRelayCapable } from '../../policy/index.js';
import { normalizeAddress } from '../../net/index.js';
import { selectionsFor } from '../selection.js';
import { defineRule, psQuote, rangeEvidence, type FindingDraft } from '../rule.js';

export default defineRule({
  meta: {
    id: 'relay-range-includes-exchange-server',
    defaultSeverity: 'high',
    title: 'A relay connector captures an Exchange server',
    description: 'A relay-capable connector\'s remote ranges contain an address of an Exchange server of the organisation (snapshot or `--exchange-servers`) and that connector would be selected for it: server-to-server mail lands on the relay connector.',
    remediation: 'Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Remove=<the range above>}   # and add back the relay hosts without the server address',
    references: [
      'https://learn.microsoft.com/exchange/mail-flow/connectors/allow-anonymous-relay',
      'https://learn.microsoft.com/exchange/mail-flow/connectors/receive-connectors',
    ],
    needs: ['exchangeServerAddresses'],
  },
  check: ({ snapshot, policy, options }) => {
    const addresses: Array<{ server: string | null; address: string }> = [];
    const seen = new Set<string>();
    const add = (server: string | null, raw: string): void => {
      const address = normalizeAddress(raw);
      if (address === null || seen.has(address)) return;
      seen.add(address);
      addresses.push({ server, address });
    };
    for (const s of snapshot.servers) for (const a of s.ipAddresses) add(s.name, a);
    for (const a of options.exchangeServers) add(null, a);
    const selected = selectionsFor(policy, addresses.map((a) => a.address));
    return snapshot.connectors.flatMap((c): FindingDraft[] => {
      const mine = selected.get(c);
      if (mine === undefined || !isRelayCapable(policy, c)) return [];
      const matches: JsonValue[] = [];
      const ranges: string[] = [];
      const names: string[] = [];
      for (const { server, address } of addresses) {
        const hits = mine.filter((h) => h.address === address);
        const first = hits[0];
        if (first === undefined) continue;
        matches.push({ server, address, range: rangeEvidence(first.selection.range), bindings: hits.map((h) => h.binding) });
        if (!ranges.includes(first.selection.range.expression)) ranges.push(first.selection.range.expression);
        names.push(`${server ?? 'Exchange server'} ${address} (range ${first.selection.range.expression})`);
      }
      if (matches.length === 0) return [];
      return [{
        connector: c,
        message: `${c.identity} is the connector Exchange selects for ${names.join(', ')}: that server's SMTP traffic is treated as relay traffic`,
        evidence: { exchangeServers: matches },
        remediation: `Set-ReceiveConnector -Identity {identity} -RemoteIPRanges @{Remove=${ranges.map(psQuote).join(',')}}\n# then add back the relay hosts that range covered, without the Exchange server addresses`,
      }];
    });
  },
});
