// bench/lib/estate.ts feeds the import, audit and replay benches: it must give exactly the
// sizes asked for, the same snapshot for the same seed, and a configuration that audits the way
// its design says (relays found, defaults quiet).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ESTATE_SHAPES, generateEstate, type EstateShape } from '../../bench/lib/estate.js';
import { formatAddress, parseRangeExpression, tryRangeInterval } from '../../src/net/index.js';
import { runAudit } from '../../src/analyzers/run.js';

describe('generateEstate', () => {
  const options = { connectors: 120, ranges: 6000, permissions: 4000, seed: 3 };
  const estate = generateEstate(options);

  it('has exactly the connectors, ranges and permission entries asked for', () => {
    assert.equal(estate.connectors.length, 120);
    assert.equal(estate.connectors.reduce((n, c) => n + c.remoteIPRanges.length, 0), 6000);
    assert.equal(estate.permissions.length, 4000);
    assert.equal(estate.servers.length, 3);
  });

  it('is deterministic per seed', () => {
    assert.equal(JSON.stringify(generateEstate(options)), JSON.stringify(estate));
    assert.notEqual(JSON.stringify(generateEstate({ ...options, seed: 4 })), JSON.stringify(estate));
  });

  it('ranges are well formed and identities unique', () => {
    const ids = new Set(estate.connectors.map((c) => c.identity.toLowerCase()));
    assert.equal(ids.size, estate.connectors.length);
    for (const c of estate.connectors) {
      for (const r of c.remoteIPRanges) assert.match(`${r.first} ${r.last}`, /^(\d+\.\d+\.\d+\.\d+ \d+\.\d+\.\d+\.\d+|[0-9a-f:]+ [0-9a-f:]+)$/, r.expression);
    }
  });

  it('audits as designed: relay findings on custom connectors, none above low on setup\'s', () => {
    const doc = runAudit(estate, {}, new Date('2026-06-01T00:00:00Z'));
    assert.ok(doc.findings.some((f) => f.rule === 'anonymous-open-relay'));
    assert.ok(doc.findings.some((f) => f.rule === 'externally-secured-relay'));
    const defaults = /\\(Default|Client Proxy|Default Frontend|Outbound Proxy Frontend|Client Frontend|Client) EX\d+$/;
    const noisy = doc.findings.filter((f) => f.connector !== null && defaults.test(f.connector) && !['low', 'info'].includes(f.severity));
    assert.deepEqual(noisy.map((f) => `${f.rule} ${f.connector ?? ''}`), []);
  });
});

describe('generateEstate shapes', () => {
  const base = { connectors: 400, ranges: 20_000, permissions: 2000, seed: 5 };
  const sum = (e: ReturnType<typeof generateEstate>): number => e.connectors.reduce((n, c) => n + c.remoteIPRanges.length, 0);

  for (const shape of Object.keys(ESTATE_SHAPES) as EstateShape[]) {
    it(`${shape}: exact sizes, deterministic, well-formed ranges`, () => {
      const e = generateEstate({ ...base, shape });
      assert.equal(sum(e), base.ranges);
      assert.equal(e.permissions.length, base.permissions);
      assert.equal(JSON.stringify(generateEstate({ ...base, shape })), JSON.stringify(e));
      assert.equal(new Set(e.connectors.map((c) => c.identity.toLowerCase())).size, e.connectors.length);
      for (const c of e.connectors) {
        for (const r of c.remoteIPRanges) {
          const i = tryRangeInterval(r);
          assert.ok(i !== null && i.first <= i.last, `${c.identity} ${r.expression}`);
          // first/last as the snapshot contract writes them (RFC 5952), and the CIDR aligned.
          assert.equal(formatAddress(i.family, i.first), r.first, r.expression);
          assert.equal(formatAddress(i.family, i.last), r.last, r.expression);
          const cidr = parseRangeExpression(r.expression);
          assert.ok(cidr !== null && cidr.first === i.first && cidr.last === i.last, r.expression);
        }
      }
    });
  }

  it('mixed is the original estate (the import and replay benches keep their figures)', () => {
    assert.equal(JSON.stringify(generateEstate({ ...base, shape: 'mixed' })), JSON.stringify(generateEstate(base)));
  });

  it('replicated: the same custom connectors on many servers, copies differing in some ranges', () => {
    const e = generateEstate({ ...base, shape: 'replicated' });
    assert.equal(e.servers.length, 40);
    const copies = e.connectors.filter((c) => c.name.startsWith('Relay Apps '));
    assert.equal(copies.length, 40);
    const keys = copies.map((c) => new Set(c.remoteIPRanges.map((r) => r.expression)));
    const copiesOf = new Map<string, number>();
    for (const set of keys) for (const k of set) copiesOf.set(k, (copiesOf.get(k) ?? 0) + 1);
    assert.ok(Math.max(...copiesOf.values()) > copies.length / 2, 'copies share ranges');
    assert.ok(keys.some((s) => s.size > 0 && [...s].some((k) => !(keys[0] ?? new Set()).has(k))), 'copies differ');
    assert.ok(runAudit(e, {}, new Date('2026-06-01T00:00:00Z')).findings.some((f) => f.rule === 'connector-inconsistent-across-servers' && f.message.startsWith('"Relay Apps"')));
  });

  it('overlapping: ranges of one server overlap each other many deep', () => {
    const e = generateEstate({ ...base, shape: 'overlapping' });
    const server = e.servers[0]?.name ?? '';
    const ranges = e.connectors.filter((c) => c.server === server && c.name.match(/^(Relay|App|Partner|Internal|Clients) /) !== null)
      .flatMap((c) => c.remoteIPRanges.map((r) => tryRangeInterval(r))).filter((i) => i !== null);
    const covered = ranges.reduce((n, i) => n + Number(i.last - i.first + 1n), 0);
    const first = ranges.reduce((m, i) => (i.first < m ? i.first : m), ranges[0]?.first ?? 0n);
    const last = ranges.reduce((m, i) => (i.last > m ? i.last : m), 0n);
    assert.ok(covered / Number(last - first + 1n) > 4, 'average depth above 4');
  });

  it('ipv6: most ranges are IPv6', () => {
    const e = generateEstate({ ...base, shape: 'ipv6' });
    const all = e.connectors.flatMap((c) => c.remoteIPRanges);
    assert.ok(all.filter((r) => r.first.includes(':')).length / all.length > 0.7);
  });

  it('dense: 500 connectors per server', () => {
    assert.equal(generateEstate({ ...base, connectors: 2000, shape: 'dense' }).servers.length, 4);
  });
});
