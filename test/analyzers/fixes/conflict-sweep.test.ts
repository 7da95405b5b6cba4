// conflictOf finds the range clash Exchange would refuse with a sweep over sorted ranges; this
// pins it to the pairwise definition (reference §4.4) on random connectors, orders included.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conflictOf } from '../../../src/analyzers/fixes.js';
import type { IpRange, ReceiveConnector } from '../../../src/model.js';
import { bindingsOverlap, intervalRelation, tryRangeInterval } from '../../../src/net/index.js';

function naive(connectors: readonly ReceiveConnector[], c: ReceiveConnector, ranges: readonly IpRange[] = c.remoteIPRanges): string | null {
  for (const o of connectors) {
    if (o === c || o.server !== c.server) continue;
    for (const b1 of c.bindings) for (const b2 of o.bindings) {
      if (!bindingsOverlap(b1, b2)) continue;
      const identical = b1.address === b2.address && b1.port === b2.port;
      for (const r1 of ranges) for (const r2 of o.remoteIPRanges) {
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

// A fix's changed ranges skip the connectors whose span (lowest first to highest last address
// per family) cannot meet theirs; the spans are read as numbers. Mixed families, IPv6 in its
// several forms, unreadable and reversed ranges, and spans that just touch or just miss.
// The high bits of the generator: its low bits repeat with a short period.
const hi = (n: number): number => { rnd(2); return (seed >>> 12) % n; };

function anyRange(): IpRange {
  const kind = hi(6);
  const a = hi(200);
  const b = a + hi(12);
  if (kind === 0) return { expression: `2001:db8::${a.toString(16)}-2001:db8::${b.toString(16)}`, first: `2001:db8::${a.toString(16)}`, last: `2001:db8::${b.toString(16)}` };
  if (kind === 1) return { expression: `2001:DB8:0:0::${a.toString(16)}`, first: `2001:DB8:0:0::${a.toString(16)}`, last: `2001:DB8:0:0::${a.toString(16)}` };
  if (kind === 2 && hi(4) === 0) return hi(2) === 0 ? { expression: 'nonsense', first: 'nonsense', last: 'nonsense' } : { expression: `10.0.0.${b}-10.0.0.${a}`, first: `10.0.0.${b}`, last: `10.0.0.${a}` };
  { const a2 = hi(200); const b2 = a2 + hi(12); return { expression: `10.0.0.${a2}-10.0.${b2 >> 8}.${b2 & 255}`, first: `10.0.0.${a2}`, last: `10.0.${b2 >> 8}.${b2 & 255}` }; }
}

test('conflictOf with changed ranges names the same clash as the pairwise definition (both families)', () => {
  let clashes = 0;
  let accepted = 0;
  for (let round = 0; round < 400; round++) {
    const connectors = ['A', 'B', 'C', 'D'].map((name) => ({ ...connector(name), remoteIPRanges: Array.from({ length: 1 + hi(16) }, anyRange) }));
    for (const c of connectors) {
      const changed = Array.from({ length: 1 + hi(8) }, anyRange);
      const expected = naive(connectors, c, changed);
      if (expected !== null) clashes++; else accepted++;
      assert.equal(conflictOf(connectors, c, changed), expected);
    }
  }
  assert.ok(clashes > 100 && accepted > 100, `both answers occur (${clashes} clashes, ${accepted} accepted)`);
});

test('conflictOf with changed ranges finds a clash of one shared address at the edge of both spans', () => {
  const r = (first: string, last: string): IpRange => ({ expression: `${first}-${last}`, first, last });
  const a = { ...connector('A'), bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [r('10.0.0.1', '10.0.0.2')] };
  const b = { ...connector('B'), bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [r('10.0.0.9', '10.0.0.12'), r('2001:db8::9', '2001:db8::c')] };
  assert.equal(conflictOf([a, b], a, [r('10.0.0.5', '10.0.0.9')]), `10.0.0.5-10.0.0.9 of ${a.identity} and 10.0.0.9-10.0.0.12 of ${b.identity} partly overlap`);
  assert.equal(conflictOf([a, b], a, [r('2001:db8::c', '2001:db8::f')]), `2001:db8::c-2001:db8::f of ${a.identity} and 2001:db8::9-2001:db8::c of ${b.identity} partly overlap`);
  assert.equal(conflictOf([a, b], a, [r('10.0.0.13', '10.0.0.20'), r('2001:db8::d', '2001:db8::f')]), null);
});

// A fix keeps most of a connector's range objects and adds a few pieces: the kept ones are
// looked up in the server's clash index (built from today's ranges), the gained ones by span.
test('conflictOf with kept and gained ranges names the same clash as the pairwise definition', () => {
  let clashes = 0;
  let accepted = 0;
  for (let round = 0; round < 400; round++) {
    const connectors = ['A', 'B', 'C', 'D', 'E'].map((name) => ({ ...connector(name), remoteIPRanges: Array.from({ length: 1 + hi(12) }, anyRange) }));
    for (const c of connectors) {
      // Some of today's objects, in another order, and sometimes a piece or two.
      const kept = c.remoteIPRanges.filter(() => hi(3) !== 0).reverse();
      const changed = [...kept, ...Array.from({ length: hi(3) }, anyRange)];
      if (changed.length === 0) continue;
      const expected = naive(connectors, c, changed);
      if (expected !== null) clashes++; else accepted++;
      assert.equal(conflictOf(connectors, c, changed), expected, `round ${round}: ${c.identity}`);
    }
  }
  assert.ok(clashes > 100 && accepted > 100, `both answers occur (${clashes} clashes, ${accepted} accepted)`);
});
