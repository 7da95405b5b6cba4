// shadowed-connector's fix looks a connector's copies on other servers up in groups by shared
// name made once per connector list; this pins copiesOf to the filter it replaced (every
// connector of the list asked for its shared name), on replicated estates with disabled
// copies, a connector listed twice, a copy whose name and server differ in case only, and
// names that embed their server's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ReceiveConnector } from '../../src/model.js';
import { copiesOf } from '../../src/analyzers/rules/shadowed-connector.js';
import { sharedName } from '../../src/analyzers/rules/connector-inconsistent-across-servers.js';
import { generateEstate } from '../../bench/lib/estate.js';
import { prng } from '../../bench/lib/prng.js';

function plainCopies(connectors: readonly ReceiveConnector[], c: ReceiveConnector): ReceiveConnector[] {
  return connectors.filter((o) => o.enabled && o !== c && o.server.toLowerCase() !== c.server.toLowerCase() && sharedName(o).toLowerCase() === sharedName(c).toLowerCase());
}

test('copiesOf finds the plain filter\'s copies, same objects in the same order (replicated and mixed estates)', () => {
  let found = 0;
  let none = 0;
  for (let seed = 1; seed <= 12; seed++) {
    const base = generateEstate({ connectors: 120, ranges: 1200, permissions: 600, seed, shape: seed % 3 === 0 ? 'mixed' : 'replicated' });
    const rnd = prng(seed);
    const connectors: ReceiveConnector[] = base.connectors.map((c) => (rnd() < 0.15 ? { ...c, enabled: false } : c));
    const some = (): ReceiveConnector => connectors[Math.floor(rnd() * connectors.length)] as ReceiveConnector;
    const shout = some();
    const renamed = some();
    connectors.push(some(), { ...shout, name: shout.name.toUpperCase(), server: shout.server.toLowerCase(), identity: shout.identity.toLowerCase() },
      { ...renamed, name: `${renamed.server}-${renamed.name}`, server: `${renamed.server}x` });
    for (const c of connectors) {
      const expected = plainCopies(connectors, c);
      if (expected.length > 0) found++; else none++;
      const got = copiesOf(connectors, c);
      assert.equal(got.length, expected.length, c.identity);
      got.forEach((o, i) => assert.equal(o, expected[i], c.identity));
    }
  }
  assert.ok(found > 200 && none > 200, `both answers occur (${found} with copies, ${none} without)`);
});
