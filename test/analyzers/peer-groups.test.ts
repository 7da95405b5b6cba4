// peerGroups shares one peersOf answer among the copies of a connector: asked for every
// connector in a random order, each answer must be exactly peersOf's (same objects, same order)
// — on replicated estates with disabled copies, copies for which the predicate fails, and
// connectors whose object or identity is listed twice.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { ReceiveConnector, Snapshot } from '../../src/model.js';
import { buildPolicy, canRelayAnonymously } from '../../src/policy/index.js';
import { peerGroups } from '../../src/analyzers/peer-groups.js';
import { peersOf } from '../../src/analyzers/relay-fixes.js';
import type { RuleContext } from '../../src/analyzers/rule.js';
import { generateEstate } from '../../bench/lib/estate.js';
import { prng } from '../../bench/lib/prng.js';

function contextOf(snapshot: Snapshot): RuleContext {
  return { snapshot, policy: buildPolicy(snapshot), now: new Date('2026-06-01T00:00:00Z'), options: { exchangeServers: [], loadBalancers: [] } };
}

/** A replicated estate, some copies disabled, one connector listed twice and one identity repeated. */
function estate(seed: number): Snapshot {
  const base = generateEstate({ connectors: 160, ranges: 1600, permissions: 800, seed, shape: 'replicated' });
  const rnd = prng(seed);
  const connectors: ReceiveConnector[] = base.connectors.map((c) => (rnd() < 0.15 ? { ...c, enabled: false } : c));
  const twice = connectors[Math.floor(rnd() * connectors.length)] as ReceiveConnector;
  const namesake = connectors[Math.floor(rnd() * connectors.length)] as ReceiveConnector;
  connectors.push(twice, { ...namesake, identity: namesake.identity.toUpperCase() });
  return { ...base, connectors };
}

function shuffled<T>(list: readonly T[], rnd: () => number): T[] {
  const out = [...list];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

const PREDICATES: Record<string, (context: RuleContext, p: ReceiveConnector) => boolean> = {
  enabled: (_context, p) => p.enabled,
  'anonymous relay': (context, p) => p.enabled && canRelayAnonymously(context.policy, p),
  // Holds for about half of the copies, whatever their settings.
  'identity parity': (_context, p) => p.identity.length % 2 === 0,
};

describe('peerGroups', () => {
  for (const seed of [3, 7, 19]) {
    for (const [name, also] of Object.entries(PREDICATES)) {
      it(`seed ${seed}, ${name}: every answer is peersOf's`, () => {
        const context = contextOf(estate(seed));
        const shared = peerGroups(also);
        let sharedAnswers = 0;
        for (const c of shuffled(context.snapshot.connectors, prng(seed + 1))) {
          const got = shared(context, c);
          const want = peersOf(context, c, (p) => also(context, p));
          assert.deepEqual(got.map((p) => p.identity), want.map((p) => p.identity), c.identity);
          assert.ok(got.every((p, i) => p === want[i]), c.identity);
          if (got.length > 1) sharedAnswers++;
        }
        assert.ok(sharedAnswers > 0, 'the estate has groups');
      });
    }
  }
});
