// conflictOf finds the range clash Exchange would refuse with a sweep over sorted ranges; this
// pins it to the pairwise definition (reference §4.4) on random connectors, orders included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conflictOf } from '../../../src/analyzers/fixes.js';
import type { IpRange, ReceiveConnector } from '../../../src/model.js';
import { bindingsOverlap, intervalRelation, tryRangeInterval } from '../../../src/net/index.js';

function naive(connectors: readonly ReceiveConnector[], c: ReceiveConnector): string | null {
  for (const o of connectors) {
    if (o === c || o.server !== c.server) continue;
    for (const b1 of c.bindings) for (const b2 of o.bindings) {
      if (!bindingsOverlap(b1, b2)) continue;
      const identical = b1.address === b2.address && b1.port === b2.port;
      for (const r1 of c.remoteIPRanges) for (const r2 of o.remoteIPRanges) {
        const i1 = tryRangeInterval(r1);
        const i2 = tryRangeInterval(r2);
        if (i1 === null || i2 === null) continue;
        const rel = intervalRelation(i1, i2);
        if (rel === 'partial' || (rel === 'equal' && identical)) return `${r1.expression} of ${c.identity} and ${r2.expression} of ${o.identity} ${rel === 'equal' ? 'are equal on the same binding' : 'partly overlap'}`;
      }
    }
  }
  return null;
}

let seed = 7;
const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };

function range(): IpRange {
  const a = rnd(200);
  const b = a + rnd(12);
  const first = `10.0.${a >> 8}.${a & 255}`;
  const last = `10.0.${b >> 8}.${b & 255}`;
  return { expression: `${first}-${last}`, first, last };
}

function connector(name: string): ReceiveConnector {
  return {
    identity: `EX01\\${name}`, server: 'EX01', name, transportRole: 'FrontendTransport', enabled: true,
    bindings: [{ address: rnd(2) === 0 ? '0.0.0.0' : '192.0.2.1', port: 25 }],
    remoteIPRanges: Array.from({ length: 1 + rnd(15) }, range),
    permissionGroups: [], authMechanism: ['Tls'], requireTLS: false, domainSecureEnabled: false, fqdn: null,
    tlsCertificateName: null, banner: null, protocolLoggingLevel: 'None', maxMessageSize: null, maxRecipientsPerMessage: null,
  };
}

test('conflictOf names the same clash as the pairwise definition on 300 random servers', () => {
  let clashes = 0;
  for (let round = 0; round < 300; round++) {
    const connectors = [connector('A'), connector('B'), connector('C')];
    for (const c of connectors) {
      const expected = naive(connectors, c);
      if (expected !== null) clashes++;
      assert.equal(conflictOf(connectors, c), expected);
    }
  }
  assert.ok(clashes > 50, `the random servers produce clashes (${clashes})`);
});
