// selectionsFor skips the endpoints where no wanted connector listens on the port (the
// address-based rules only report relay-capable connectors, and addresses × endpoints grows
// with the square of the servers): the wanted connectors' selections must be exactly those of
// the full search, on every bench estate shape.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { selectionsFor } from '../../src/analyzers/selection.js';
import { buildPolicy, isRelayCapable } from '../../src/policy/index.js';
import { ESTATE_SHAPES, generateEstate, type EstateShape } from '../../bench/lib/estate.js';

describe('selectionsFor with a filter', () => {
  for (const shape of Object.keys(ESTATE_SHAPES) as EstateShape[]) {
    it(`${shape}: the wanted connectors' selections are those of the full search`, () => {
      const snapshot = generateEstate({ connectors: 300, ranges: 6000, permissions: 3000, seed: 11, shape });
      const policy = buildPolicy(snapshot);
      // Exchange servers' own addresses, a relay host of each kind of connector, and a public host.
      const addresses = [...snapshot.servers.flatMap((s) => s.ipAddresses), ...snapshot.connectors.flatMap((c) => c.remoteIPRanges.slice(0, 1).map((r) => r.first)), '203.0.113.1'];
      const wanted = (c: Parameters<typeof isRelayCapable>[1]): boolean => isRelayCapable(policy, c);
      const full = selectionsFor(policy, addresses);
      const filtered = selectionsFor(policy, addresses, wanted);
      const view = (m: ReturnType<typeof selectionsFor>): string[] => [...m].filter(([c]) => wanted(c))
        .map(([c, hits]) => `${c.identity} ${hits.map((h) => `${h.address}@${h.binding}`).join(',')}`).sort();
      assert.ok(view(full).length > 0);
      assert.deepEqual(view(filtered), view(full));
    });
  }
});
