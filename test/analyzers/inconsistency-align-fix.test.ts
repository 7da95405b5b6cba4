// The fix that gives every copy the ranges of the others numbers the union's ranges and stamps
// each copy's own (copies × union set lookups and quotes were most of the fix on big estates):
// on random groups of copies — duplicates, ranges written in other cases, copies that lack
// nothing, a neighbour on the same binding that makes Exchange refuse the change — its answer
// must be the plain definition's, script or refusal, byte for byte.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import rule from '../../src/analyzers/rules/connector-inconsistent-across-servers.js';
import { conflictOf } from '../../src/analyzers/fixes.js';
import { psQuote, type FixCandidate, type RuleContext } from '../../src/analyzers/rule.js';
import { buildPolicy } from '../../src/policy/index.js';
import type { IpRange, ReceiveConnector } from '../../src/model.js';
import { connector, defaults, estate, range } from '../helpers/build.js';
import { prng } from '../../bench/lib/prng.js';

const POOL = ['10.1.1.1', '10.1.1.2', '10.1.2.0/24', '10.1.3.0/24', '192.168.5.7', 'fd00::1', 'FD00::2', 'fd00::2', '10.9.0.0/16', '10.9.1.0/24', '172.16.0.1'];

/** The plain definition: per copy, a set of its keys and a filter of the whole union. */
function plainFix(members: readonly ReceiveConnector[], context: RuleContext, advice: string): FixCandidate {
  const key = (r: IpRange): string => `${r.first.toLowerCase()}-${r.last.toLowerCase()}`;
  const union: IpRange[] = [];
  const seen = new Set<string>();
  for (const c of members) for (const r of c.remoteIPRanges) if (!seen.has(key(r))) { seen.add(key(r)); union.push(r); }
  let blocked: string | null = null;
  const lines: string[] = [];
  for (const c of members) {
    const own = new Set(c.remoteIPRanges.map(key));
    const missing = union.filter((r) => !own.has(key(r)));
    if (missing.length === 0) continue;
    blocked ??= conflictOf(context.snapshot.connectors, c, [...c.remoteIPRanges, ...missing]);
    lines.push(`Set-ReceiveConnector -Identity ${psQuote(c.identity)} -RemoteIPRanges @{Add=${missing.map((r) => psQuote(r.expression)).join(',')}} -ErrorAction Stop`);
  }
  if (blocked !== null) return { manual: `${advice} Exchange refuses changes to the copies while ${blocked}: resolve that first.` };
  if (lines.length === 0) return { manual: advice };
  return { script: lines.join('\n'), fallback: `${advice} Giving every copy the ranges of the others was considered.` };
}

describe('connector-inconsistent-across-servers: aligning the copies\' ranges', () => {
  it('random groups: the plain definition\'s script or refusal', () => {
    const rnd = prng(23);
    let scripts = 0;
    let refusals = 0;
    for (let round = 0; round < 80; round++) {
      const count = 2 + Math.floor(rnd() * 5);
      const names = Array.from({ length: count }, (_, i) => `EX${String(i + 1).padStart(2, '0')}`);
      const items = names.flatMap((srv) => {
        const ranges = POOL.filter(() => rnd() < 0.4).map(range);
        if (rnd() < 0.2 && ranges[0] !== undefined) ranges.push(ranges[0]);
        const copy = connector({ identity: `${srv}\\Apps ${srv}`, bindings: [{ address: '0.0.0.0', port: 2526 }, { address: '::', port: 2526 }], remoteIPRanges: ranges, permissionGroups: ['ExchangeUsers'] });
        // A neighbour on the same binding: equal or partly overlapping ranges make Exchange refuse.
        const neighbour = rnd() < 0.3 ? [connector({ identity: `${srv}\\Other ${srv}`, bindings: [{ address: '0.0.0.0', port: 2526 }], remoteIPRanges: [range(POOL[Math.floor(rnd() * POOL.length)] as string)], permissionGroups: ['ExchangeUsers'] })] : [];
        return [defaults.exchange2016({ server: srv, ipAddress: `10.0.0.${names.indexOf(srv) + 11}` }), copy, ...neighbour];
      });
      const snapshot = estate(...items);
      const context: RuleContext = { snapshot, policy: buildPolicy(snapshot), now: new Date('2026-06-01T00:00:00Z'), options: { exchangeServers: [], loadBalancers: [] } };
      for (const draft of rule.check(context)) {
        if (!draft.message.startsWith('"Apps"')) continue;
        const e = draft.evidence as { missingOn: string[]; differences: Record<string, unknown>; connectors: string[] };
        if (e.missingOn.length > 0 || Object.keys(e.differences).join() !== 'remoteIPRanges') continue;
        const identities = new Set(e.connectors.map((x) => x.toLowerCase()));
        const members = snapshot.connectors.filter((c) => identities.has(c.identity.toLowerCase()));
        const advice = rule.remediation?.(draft, context) ?? '';
        const got = rule.fix?.(draft, context);
        assert.deepEqual(got, plainFix(members, context, advice));
        if (got?.script !== undefined) scripts++; else refusals++;
      }
    }
    assert.ok(scripts > 10 && refusals > 5, `both outcomes occur (${scripts} scripts, ${refusals} refusals)`);
  });
});
