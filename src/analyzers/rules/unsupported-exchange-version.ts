import { psQuote } from '../../powershell/quote.js';
import { defineRule, type FindingDraft, type FixCandidate } from '../rule.js';
import { parseExchangeVersion, productName, type ExchangeProduct } from '../../exchange-version.js';

/**
 * The last day of Microsoft's support per product (docs/reference/lifecycle.md). Subscription
 * Edition follows the Modern Lifecycle Policy: supported while it is kept current, so no date.
 */
const LAST_SUPPORTED_DAY: Record<Exclude<ExchangeProduct, 'se'>, string> = {
  '2010': '2020-10-13',
  '2013': '2023-04-11',
  '2016': '2025-10-14',
  '2019': '2025-10-14',
};

/**
 * The paid Extended Security Update periods for 2016 and 2019 (docs/reference/lifecycle.md).
 * Period 1's end (2026-04-14) is reported consistently from Microsoft's announcement; period 2's
 * exact last day is UNCONFIRMED (announced as May to October 2026), so it is named by its months.
 */
const ESU_PERIODS: ReadonlyArray<{ products: readonly ExchangeProduct[]; first: string; last: string; name: string }> = [
  { products: ['2016', '2019'], first: '2025-10-15', last: '2026-04-14', name: 'the paid Extended Security Update (ESU) period 1, which ends on 2026-04-14' },
  { products: ['2016', '2019'], first: '2026-04-15', last: '2026-10-31', name: 'the paid Extended Security Update (ESU) period 2 (May to October 2026; only servers enrolled in it get its updates)' },
];

const SUPPORTED_TARGET = 'Exchange Server Subscription Edition (Version 15.2 build 2562 or later), or Exchange Online';

/** A date-only string (`YYYY-MM-DD`) compared with the audit date's UTC day. */
const dayOf = (d: Date): string => d.toISOString().slice(0, 10);

// A retired version is left by a migration, never by a script: the advice names the supported
// target, the 2016 step a 2010 server needs, and the exrelay commands that plan the move.
function fix(draft: FindingDraft): FixCandidate {
  const server = typeof draft.evidence['server'] === 'string' ? draft.evidence['server'] : draft.server ?? 'the server';
  const product = typeof draft.evidence['product'] === 'string' ? draft.evidence['product'] : 'This Exchange version';
  const is2010 = /2010/.test(product);
  const target = is2010 ? '2016' : 'se';
  return {
    manual: `${server} runs ${product}, which Microsoft no longer supports: this is a migration, not a script. Supported: ${SUPPORTED_TARGET}.`
      + `${is2010 ? ' Exchange 2010 cannot coexist with 2019 or Subscription Edition, so its connectors move to an Exchange 2016 server first, and from there to Subscription Edition.' : ''}`
      + ` Plan it with exrelay: \`exrelay plan\` with the exports and the protocol logs of ${server} (--logs, --target se or m365) sorts every relay sender into what moves, what stays on premises and what blocks it;`
      + ` \`exrelay migrate --source-server ${psQuote(server)} --target-server\` (the new server) \`--target-version ${target}\` writes the receive connectors and their rights for the new server, dry-run by \`exrelay apply\` before it is shown;`
      + ' `exrelay replay --scenarios` (the traffic `exrelay logs --scenarios` extracts) with `--compare` and the migrated snapshot then shows which senders the new configuration still accepts.',
  };
}

export default defineRule({
  meta: {
    id: 'unsupported-exchange-version',
    scope: 'no-connector',
    defaultSeverity: 'high',
    title: 'Exchange version past end of support',
    description: 'A server\'s version is past Microsoft\'s end of support on the audit date (`--as-of`, default today): 2010 after 2020-10-13, 2013 after 2023-04-11, 2016 and 2019 after 2025-10-14 (the paid Extended Security Update period is named when the date falls in it). Subscription Edition (15.2 build 2562 or later) is supported; a 15.2 version without its build is not judged.',
    remediation: 'Get-ExchangeServer -Identity {server} | Format-List Name,AdminDisplayVersion   # then plan the move to Exchange Server Subscription Edition or Exchange Online (a migration, not a script)',
    references: [
      'https://learn.microsoft.com/exchange/new-features/build-numbers-and-release-dates',
      'https://learn.microsoft.com/lifecycle/products/exchange-server-2019',
    ],
    wording: {
      impact: 'Microsoft no longer publishes security fixes for this Exchange version (outside a paid extension, when one exists): a newly found flaw stays open on a server that accepts mail from the network.',
      action: 'Plan the move to Exchange Server Subscription Edition or Exchange Online',
    },
  },
  check: ({ snapshot, now }) => {
    const today = dayOf(now);
    return snapshot.servers.flatMap((server) => {
      const version = parseExchangeVersion(server.version);
      const product = version?.product ?? null;
      // A version the export did not contain, or one that does not say its product (15.2
      // without a build could be Subscription Edition), is no ground for a finding.
      if (product === null || product === 'se') return [];
      const lastDay = LAST_SUPPORTED_DAY[product];
      if (today <= lastDay) return [];
      const esu = ESU_PERIODS.find((p) => p.products.includes(product) && p.first <= today && today <= p.last);
      const route = product === '2010' ? ' Exchange 2010 cannot coexist with 2019 or Subscription Edition: the route goes through Exchange 2016 first.' : '';
      return [{
        connector: null,
        server: server.name,
        message: `${server.name} runs ${productName(product)} (${server.version ?? ''}), out of support since ${lastDay}`
          + `${esu === undefined ? '' : `; the audit date falls in ${esu.name}`}. Supported: ${SUPPORTED_TARGET}.${route}`,
        evidence: {
          server: server.name,
          version: server.version ?? '',
          product: productName(product),
          endOfSupport: lastDay,
          asOf: today,
          extendedSecurityUpdates: esu === undefined ? null : esu.name,
          supportedTarget: SUPPORTED_TARGET,
        },
      }];
    });
  },
  remediation: (draft) => fix(draft).manual,
  fix,
});
