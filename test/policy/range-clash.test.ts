// rangeClashPartners tells conflictOf which connectors of a server need a range-by-range look;
// these tests pin it to the pairwise definition (two connectors are partners when a range of
// one partly overlaps or equals a range of the other) and conflictOf, which now skips the
// non-partners of its own role, to the plain reading of reference §4.4 — on random servers with
// both roles, IPv4 and IPv6, nested, equal, single-address and unreadable ranges.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { conflictOf } from '../../src/analyzers/fixes.js';
import { buildPolicy, rangeClashPartners } from '../../src/policy/index.js';
import { rangeListReading } from '../../src/policy/policy-index.js';
import { snapshot } from './helpers.js';
import { rangeSpan } from '../../src/policy/range-clash.js';
import type { IpRange, ReceiveConnector } from '../../src/model.js';
import { addressPartsValue, bindingsOverlap, formatAddress, intervalRelation, tryRangeInterval } from '../../src/net/index.js';
import { prng } from '../../bench/lib/prng.js';

function naivePartners(a: ReceiveConnector, b: ReceiveConnector): boolean {
  for (const r1 of a.remoteIPRanges) for (const r2 of b.remoteIPRanges) {
    const i1 = tryRangeInterval(r1);
    const i2 = tryRangeInterval(r2);
    if (i1 === null || i2 === null || i1.family !== i2.family) continue;
    const relation = intervalRelation(i1, i2);
    if (relation === 'partial' || relation === 'equal') return true;
  }
  return false;
}

/** reference §4.4 read plainly: every other connector of the server, every binding pair, every range pair. */
function naiveConflict(connectors: readonly ReceiveConnector[], c: ReceiveConnector): string | null {
  for (const o of connectors) {
    if (o === c || o.server.toLowerCase() !== c.server.toLowerCase() || o.identity.toLowerCase() === c.identity.toLowerCase()) continue;
    for (const b1 of c.bindings) for (const b2 of o.bindings) {
      if (!bindingsOverlap(b1, b2)) continue;
      if ((o.transportRole ?? '') !== (c.transportRole ?? '')) return `${c.identity} shares a binding with ${o.identity} of the other transport role`;
      const identical = b1.address.toLowerCase() === b2.address.toLowerCase() && b1.port === b2.port;
      for (const r1 of c.remoteIPRanges) {
        const i1 = tryRangeInterval(r1);
        if (i1 === null) continue;
        let hit: { r2: IpRange; rel: string } | null = null;
        for (const r2 of o.remoteIPRanges) {
          const i2 = tryRangeInterval(r2);
          if (i2 === null || i2.family !== i1.family) continue;
          const rel = intervalRelation(i1, i2);
          if (rel === 'partial' || (rel === 'equal' && identical)) { hit = { r2, rel }; break; }
        }
        if (hit !== null) return `${r1.expression} of ${c.identity} and ${hit.r2.expression} of ${o.identity} ${hit.rel === 'equal' ? 'are equal on the same binding' : 'partly overlap'}`;
      }
    }
  }
  return null;
}

function randomServer(seed: number, count: number): ReceiveConnector[] {
  const random = prng(seed);
  const pick = (n: number): number => Math.floor(random() * n);
  const range = (): IpRange => {
    if (pick(20) === 0) return { expression: 'bogus', first: 'not-an-address', last: '10.0.0.1' };
    const family = pick(4) === 0 ? 6 : 4;
    const a = pick(300);
    const b = pick(3) === 0 ? a : a + pick(40);
    const address = (v: number): string => formatAddress(family, family === 4 ? 0x0a000000n + BigInt(v) : 0x20010db8n << 96n | BigInt(v));
    const first = address(a);
    const last = address(b);
    return { expression: a === b ? first : `${first}-${last}`, first, last };
  };
  return Array.from({ length: count }, (_, i): ReceiveConnector => {
    const server = pick(5) === 0 ? 'ex02' : 'EX01';
    const name = `C${i}`;
    return {
      identity: `${server}\\${pick(15) === 0 ? 'C0' : name}`, server, name,
      transportRole: pick(6) === 0 ? 'HubTransport' : 'FrontendTransport', enabled: true,
      bindings: Array.from({ length: 1 + pick(2) }, () => ({ address: ['0.0.0.0', '192.0.2.1', '192.0.2.2', '[::]'][pick(4)] as string, port: [25, 587, 2525][pick(3)] as number })),
      remoteIPRanges: Array.from({ length: pick(12) }, range),
      permissionGroups: [], authMechanism: ['Tls'], requireTLS: false, domainSecureEnabled: false, fqdn: null,
      tlsCertificateName: null, banner: null, protocolLoggingLevel: 'None', maxMessageSize: null, maxRecipientsPerMessage: null,
    };
  });
}

test('rangeClashPartners marks exactly the pairs with a partly overlapping or equal range (200 random servers)', () => {
  let partners = 0;
  let others = 0;
  for (let round = 0; round < 200; round++) {
    const connectors = randomServer(round + 1, 2 + (round % 12));
    const index = rangeClashPartners(connectors);
    for (const a of connectors) for (const b of connectors) {
      if (a === b) continue;
      const expected = naivePartners(a, b);
      if (expected) partners++; else others++;
      assert.equal(index.mayClash(a, b), expected, `round ${round}: ${a.identity} ${b.identity}`);
    }
  }
  assert.ok(partners > 500 && others > 500, `both answers occur (${partners} partners, ${others} not)`);
});

test('a connector the index was not built from may always clash (the caller checks it range by range)', () => {
  const connectors = randomServer(3, 4);
  const outsider = { ...(connectors[0] as ReceiveConnector) };
  assert.equal(rangeClashPartners(connectors).mayClash(outsider, connectors[1] as ReceiveConnector), true);
});

test('conflictOf names the same conflict as the plain reading of §4.4 on 300 random servers', () => {
  let conflicts = 0;
  let roles = 0;
  let clean = 0;
  for (let round = 0; round < 300; round++) {
    const connectors = randomServer(1000 + round, 2 + (round % 15));
    for (const c of connectors) {
      const expected = naiveConflict(connectors, c);
      if (expected === null) clean++; else if (expected.includes('other transport role')) roles++; else conflicts++;
      assert.equal(conflictOf(connectors, c), expected, `round ${round}: ${c.identity}`);
      // With other ranges (a generator's proposed change) the index is not used: same answer as the plain reading.
      const changed = { ...c, remoteIPRanges: [...c.remoteIPRanges].reverse() };
      assert.equal(conflictOf(connectors.map((o) => (o === c ? changed : o)), changed, changed.remoteIPRanges), naiveConflict(connectors.map((o) => (o === c ? changed : o)), changed));
    }
  }
  assert.ok(conflicts > 100 && roles > 100 && clean > 100, `range clashes ${conflicts}, role conflicts ${roles}, none ${clean}`);
});

test('rangeClashPartners on IPv6 servers of many prefixes (order keys too large to pack with an index: the comparator sort)', () => {
  const random = prng(77);
  const pick = (n: number): number => Math.floor(random() * n);
  const word = (): bigint => BigInt(pick(2 ** 30)) * 4n + BigInt(pick(4));
  let partners = 0;
  let others = 0;
  for (let round = 0; round < 3; round++) {
    // Addresses under 2,000 random /64s and three shared ones: thousands of distinct
    // (high, middle) parts, so the keys reach 2^42 and more with 4,096 ranges' indices.
    const prefixes = Array.from({ length: 2000 }, () => (word() << 96n) | (word() << 64n));
    const shared = [0x20010db8n << 96n, (0x20010db8n << 96n) | (1n << 64n), 0xfd00n << 112n];
    const address = (prefix: bigint, v: number): string => formatAddress(6, prefix | BigInt(v));
    const connectors = Array.from({ length: 10 }, (_, i): ReceiveConnector => ({
      identity: `EX01\\C${i}`, server: 'EX01', name: `C${i}`, transportRole: 'FrontendTransport', enabled: true,
      bindings: [{ address: '[::]', port: 25 }],
      remoteIPRanges: Array.from({ length: 250 }, (): IpRange => {
        // Odd connectors: prefixes of their own only, so some pairs never clash.
        const prefix = i % 2 === 1 ? prefixes[200 * i + pick(200)] as bigint : pick(3) === 0 ? shared[pick(3)] as bigint : prefixes[pick(prefixes.length)] as bigint;
        const a = pick(400);
        const b = pick(3) === 0 ? a : a + pick(60);
        const first = address(prefix, a);
        const last = i % 2 === 0 && pick(50) === 0 ? address(prefix + (1n << 64n), b) : address(prefix, b);
        return { expression: `${first}-${last}`, first, last };
      }),
      permissionGroups: [], authMechanism: ['Tls'], requireTLS: false, domainSecureEnabled: false, fqdn: null,
      tlsCertificateName: null, banner: null, protocolLoggingLevel: 'None', maxMessageSize: null, maxRecipientsPerMessage: null,
    }));
    const intervals = connectors.map((c) => c.remoteIPRanges.map((r) => tryRangeInterval(r)));
    const index = rangeClashPartners(connectors);
    for (let x = 0; x < connectors.length; x++) for (let y = x + 1; y < connectors.length; y++) {
      let expected = false;
      for (const i1 of intervals[x] as ReturnType<typeof tryRangeInterval>[]) {
        for (const i2 of intervals[y] as ReturnType<typeof tryRangeInterval>[]) {
          if (i1 === null || i2 === null) continue;
          const relation = intervalRelation(i1, i2);
          if (relation === 'partial' || relation === 'equal') { expected = true; break; }
        }
        if (expected) break;
      }
      if (expected) partners++; else others++;
      assert.equal(index.mayClash(connectors[x] as ReceiveConnector, connectors[y] as ReceiveConnector), expected, `round ${round}: C${x} C${y}`);
    }
  }
  assert.ok(partners > 10 && others > 10, `both answers occur (${partners} partners, ${others} not)`);
});

test('rangeClashPartners with long runs of ranges sharing a first address (equal ranges found whatever their order in the run)', () => {
  const random = prng(4242);
  const pick = (n: number): number => Math.floor(random() * n);
  for (let round = 0; round < 20; round++) {
    // Few first addresses, many last addresses: runs of dozens of ranges per first address, in
    // which equal ranges are far apart until the run is ordered by last address.
    const connectors = randomServer(5000 + round, 40).map((c): ReceiveConnector => ({
      ...c,
      remoteIPRanges: Array.from({ length: 1 + pick(4) }, (): IpRange => {
        const a = pick(2 + (round % 3));
        const b = a + pick(4 + round);
        const first = `10.0.0.${a}`;
        const last = `10.0.0.${b}`;
        return { expression: `${first}-${last}`, first, last };
      }),
    }));
    const index = rangeClashPartners(connectors);
    for (const a of connectors) for (const b of connectors) {
      if (a === b) continue;
      assert.equal(index.mayClash(a, b), naivePartners(a, b), `round ${round}: ${a.identity} ${b.identity}`);
    }
  }
});

/** The span read plainly: per family, the lowest first and highest last address of the readable ranges. */
function naiveSpan(ranges: readonly IpRange[]): string {
  const out: string[] = [];
  for (const family of [4, 6]) {
    const read = ranges.map((r) => tryRangeInterval(r)).filter((i) => i !== null && i.family === family) as Array<{ first: bigint; last: bigint }>;
    if (read.length === 0) { out.push(`v${family} none`); continue; }
    let lo = read[0]!.first;
    let hi = read[0]!.last;
    for (const i of read) { if (i.first < lo) lo = i.first; if (i.last > hi) hi = i.last; }
    out.push(`v${family} ${lo}-${hi}`);
  }
  return out.join(' ');
}

function spanText(span: ReturnType<typeof rangeSpan>): string {
  const side = (has: boolean, base: number, family: number): string => has ? `v${family} ${addressPartsValue(span.bounds, base)}-${addressPartsValue(span.bounds, base + 3)}` : `v${family} none`;
  return `${side(span.has4, 0, 4)} ${side(span.has6, 6, 6)}`;
}

test('rangeSpan, filled by the clash index or read alone, is the lowest first and highest last address per family', () => {
  let both = 0;
  for (let round = 0; round < 150; round++) {
    const connectors = randomServer(9000 + round, 2 + (round % 12));
    rangeClashPartners(connectors);
    for (const c of connectors) {
      const expected = naiveSpan(c.remoteIPRanges);
      if (!expected.includes('none')) both++;
      assert.equal(spanText(rangeSpan(c.remoteIPRanges)), expected, `round ${round}: ${c.identity} (from the index)`);
      assert.equal(spanText(rangeSpan([...c.remoteIPRanges])), expected, `round ${round}: ${c.identity} (alone)`);
    }
  }
  assert.ok(both > 100, `lists with both families: ${both}`);
});

test('with the policy index\'s reading of the lists (buildPolicy first), the clash index, the spans and conflictOf answer as the plain reading', () => {
  let shared = 0;
  for (let round = 0; round < 200; round++) {
    const random = prng(31000 + round);
    const pick = (n: number): number => Math.floor(random() * n);
    const connectors = randomServer(31000 + round, 2 + (round % 12)).map((c): ReceiveConnector => ({
      ...c,
      // Forms the index reads through readRangeExact rather than parseIpv4Number: bounds in the
      // wrong order (unreadable), a padded bound, IPv4 written inside IPv6 text.
      remoteIPRanges: c.remoteIPRanges.map((r): IpRange => {
        const k = pick(25);
        if (k === 0) return { expression: `${r.last}-${r.first}`, first: r.last, last: r.first };
        if (k === 1) return { expression: r.expression, first: ` ${r.first}`, last: r.last };
        if (k === 2) return { expression: '::ffff:10.0.0.1', first: '::ffff:10.0.0.1', last: '::ffff:10.0.0.9' };
        return r;
      }),
    }));
    buildPolicy(snapshot({ connectors }));
    const index = rangeClashPartners(connectors);
    for (const a of connectors) {
      if (rangeListReading(a.remoteIPRanges) !== undefined) shared++;
      assert.equal(spanText(rangeSpan(a.remoteIPRanges)), naiveSpan(a.remoteIPRanges), `round ${round}: ${a.identity} span`);
      for (const b of connectors) if (a !== b) assert.equal(index.mayClash(a, b), naivePartners(a, b), `round ${round}: ${a.identity} ${b.identity}`);
      assert.equal(conflictOf(connectors, a), naiveConflict(connectors, a), `round ${round}: ${a.identity} conflict`);
    }
  }
  assert.ok(shared > 1000, `lists read by the index: ${shared}`);
});

test('rangeClashPartners on servers of 2,048 IPv4 ranges and more (the radix-sorted path) marks exactly the plain pairs', () => {
  for (let seed = 1; seed <= 4; seed++) {
    const random = prng(8100 + seed);
    const pick = (n: number): number => Math.floor(random() * n);
    // Odd connectors in a block of their own, so some pairs never clash.
    const address = (i: number): number => 10 * 2 ** 24 + (i % 2 === 1 ? i * 2 ** 20 : 0) + pick(4000) * (pick(4) === 0 ? 2 ** pick(8) : 1);
    const connectors = randomServer(8100 + seed, 12).map((c, i): ReceiveConnector => ({
      ...c,
      server: 'EX01',
      remoteIPRanges: Array.from({ length: 170 + pick(200) }, (): IpRange => {
        const a = address(i);
        const b = pick(3) === 0 ? a : a + pick(300);
        const first = formatAddress(4, BigInt(a));
        const last = formatAddress(4, BigInt(b));
        return { expression: `${first}-${last}`, first, last };
      }),
    }));
    // C10 and C11 (in a block of its own) meet only in one equal range, which sits in a run of
    // ranges with the same first address: found only once the run is ordered by last address.
    const block = 200 * 2 ** 24;
    const at = (lo: number, hi: number): IpRange => ({ expression: 'x', first: formatAddress(4, BigInt(block + lo)), last: formatAddress(4, BigInt(block + hi)) });
    connectors[10] = { ...connectors[10]!, remoteIPRanges: [...connectors[10]!.remoteIPRanges, at(0, 9), at(0, 5), at(0, 7)] };
    connectors[11] = { ...connectors[11]!, remoteIPRanges: [...connectors[11]!.remoteIPRanges, at(0, 9)] };
    assert.ok(connectors.reduce((n, c) => n + c.remoteIPRanges.length, 0) >= 2048);
    const bounds = connectors.map((c) => c.remoteIPRanges.map((r) => [Number(tryRangeInterval(r)!.first), Number(tryRangeInterval(r)!.last)] as const));
    const index = rangeClashPartners(connectors);
    let partners = 0;
    for (let x = 0; x < connectors.length; x++) for (let y = 0; y < connectors.length; y++) {
      if (x === y) continue;
      const expected = bounds[x]!.some(([f1, l1]) => bounds[y]!.some(([f2, l2]) => (f1 === f2 && l1 === l2) || (f1 < f2 && f2 <= l1 && l1 < l2) || (f2 < f1 && f1 <= l2 && l2 < l1)));
      if (expected) partners++;
      assert.equal(index.mayClash(connectors[x]!, connectors[y]!), expected, `seed ${seed}: C${x} C${y}`);
    }
    assert.ok(partners > 0 && partners < 132, `seed ${seed}: ${partners} partner pairs`);
  }
});
