// externally-secured-relay reads a connector's reach as anonymous-open-relay does: without
// public addresses, the private part is all of merged, and its count, scope, first intervals,
// evidence and widest ranges come from the reach's numbers (each pinned to its plain definition
// in reach-segments.test.ts). Held here to the rule's plain reading over won and merged as
// objects, on random servers of externally secured connectors with private and public ranges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import rule from '../../src/analyzers/rules/externally-secured-relay.js';
import type { Binding, ReceiveConnector } from '../../src/model.js';
import type { JsonValue } from '../../src/json.js';
import { buildPolicy, intervalsWonBy } from '../../src/policy/index.js';
import { countAddresses, intervalEvidence, listEvidence, mergeIntervals, rangesBehind, rangesByReach, shortList, subtractIntervals } from '../../src/analyzers/evidence.js';
import { formatAddress, publicParts, type Interval } from '../../src/net/index.js';
import { scopeText } from '../../src/sizes.js';
import { prng } from '../../bench/lib/prng.js';
import { relayConnector, server, snapshot } from '../policy/helpers.js';

const BINDINGS: Binding[][] = [
  [{ address: '0.0.0.0', port: 25 }],
  [{ address: '10.0.0.10', port: 25 }],
  [{ address: '0.0.0.0', port: 25 }, { address: '0.0.0.0', port: 2525 }],
  [{ address: '::', port: 25 }, { address: '0.0.0.0', port: 25 }],
];

/** The rule's reading before the reach's numbers: over intervalsWonBy and mergeIntervals. */
function plain(policy: ReturnType<typeof buildPolicy>, c: ReceiveConnector): { message: string; evidence: Record<string, JsonValue> } {
  const won = intervalsWonBy(policy, c);
  const merged = mergeIntervals(won);
  const parts = won.flatMap((w) => publicParts(w).map((p) => ({ interval: p, won: w })));
  const publicMerged = mergeIntervals(parts.map((p) => p.interval));
  const privateMerged = subtractIntervals(merged, publicMerged);
  const isPublic = publicMerged.length > 0;
  const publicNames = rangesBehind(parts.map((p) => p.won)).map((r) => r.expression);
  const publicSet = new Set(publicNames);
  const privateNames = rangesByReach(won, 8).map((r) => r.expression).filter((e) => !publicSet.has(e));
  const names = (configured: string[], xs: Interval[]): string => (configured.length > 0
    ? shortList(configured.slice(0, 4), 3, configured.length) : shortList(xs.slice(0, 4).map((i) => intervalEvidence(i).expression), 3, xs.length));
  const scope = [
    isPublic ? `${scopeText(publicMerged)} public (${names(publicNames, publicMerged)})` : null,
    privateMerged.length > 0 ? `${scopeText(privateMerged)} private (${names(privateNames, privateMerged)})` : null,
  ].filter((x) => x !== null).join(' and ');
  return {
    message: countAddresses(merged) === 0n ? 'none' : scope,
    evidence: {
      reachableFrom: listEvidence(merged).map(intervalEvidence),
      publicReach: isPublic ? scopeText(publicMerged) : 'none',
      privateReach: privateMerged.length > 0 ? scopeText(privateMerged) : 'none',
    },
  };
}

test('externally-secured-relay from the reach\'s numbers equals its plain reading (300 random servers)', () => {
  let privateOnly = 0;
  let withPublic = 0;
  for (let seed = 1; seed <= 300; seed++) {
    const random = prng(seed);
    const pick = (n: number): number => Math.floor(random() * n);
    const bases = [10 * 2 ** 24, 10 * 2 ** 24 + 250, 11 * 2 ** 24 - 20, 203 * 2 ** 24 + 113 * 2 ** 8, 172 * 2 ** 24 + 16 * 2 ** 16];
    // Half the servers private only (10/8 and 172.16/12 well inside): the reach's numbers path.
    const reach = pick(2) === 0 ? [bases[0], bases[4]] as number[] : bases;
    const address = (): number => (reach[pick(reach.length)] as number) + pick(30) * (pick(2) === 0 ? 1 : 2 ** pick(12));
    const text = (v: number): string => formatAddress(4, BigInt(v));
    const connectors = Array.from({ length: 1 + pick(6) }, (_, i): ReceiveConnector => {
      const ranges = Array.from({ length: pick(70) }, () => { const a = address(); const b = pick(2) === 0 ? a : a + pick(3000); return a === b ? text(a) : `${text(a)}-${text(b)}`; });
      if (pick(6) === 0) ranges.push('fd00::1-fd00::ff');
      if (pick(40) === 0) ranges.push('0.0.0.0-255.255.255.255');
      // All of IPv4 alone: its widest range is public, so the private part is named by its intervals.
      if (pick(15) === 0) ranges.splice(0, ranges.length, '0.0.0.0-255.255.255.255');
      const secured = pick(3) !== 0;
      return relayConnector(`C${i}`, ranges, 'EX01', {
        bindings: BINDINGS[pick(BINDINGS.length)] as Binding[],
        ...(secured ? { authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['ExchangeServers'] } : {}),
      });
    });
    const snap = snapshot({ servers: [server('EX01', 'Version 15.1 (Build 2507.6)', { ipAddresses: ['10.0.0.10'] })], connectors });
    const policy = buildPolicy(snap);
    const plainPolicy = buildPolicy(structuredClone(snap));
    const findings = rule.check({ snapshot: snap, policy, now: new Date('2026-06-01T00:00:00Z'), options: { exchangeServers: [], loadBalancers: [] } });
    for (const f of findings) {
      const c = f.connector as ReceiveConnector;
      const expected = plain(plainPolicy, plainPolicy.snapshot.connectors[snap.connectors.indexOf(c)] as ReceiveConnector);
      if (expected.evidence['publicReach'] === 'none') privateOnly++; else withPublic++;
      const at = `seed ${seed} ${c.identity}`;
      if (expected.message !== 'none') assert.ok(f.message.includes(` treats ${expected.message} as Exchange servers`), `${at}: ${f.message} / ${expected.message}`);
      for (const key of ['reachableFrom', 'publicReach', 'privateReach']) assert.deepEqual(f.evidence[key], expected.evidence[key], `${at} ${key}`);
    }
  }
  assert.ok(privateOnly > 100 && withPublic > 100, `private only ${privateOnly}, with public ${withPublic}`);
});
