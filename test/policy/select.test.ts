import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildPolicy, intervalsWonBy, isListening, portsOf, selectConnector, selectConnector4, selectConnectorDetailed, winningIntervals } from '../../src/policy/index.js';
import { prng } from '../../bench/lib/prng.js';
import { formatAddress, parseAddress, rangeInterval } from '../../src/net/index.js';
import type { ReceiveConnector, Snapshot } from '../../src/model.js';
import { ALL_V4, connector, defaultFrontend, hubDefault, range, relayConnector, snapshot } from './helpers.js';

const names = (c: ReceiveConnector | null) => c?.name ?? null;
const on = (s: Snapshot, remote: string, local: string | null = null, port = 25) =>
  names(selectConnector(buildPolicy(s), { server: 'EX01', port, localAddress: local }, remote));

describe('selection: reference §4.3 worked examples', () => {
  it('1: same binding, the single address beats all addresses', () => {
    const s = snapshot({ connectors: [defaultFrontend(), relayConnector('Relay', ['10.1.1.5'])] });
    assert.equal(on(s, '10.1.1.5'), 'Relay');
  });

  it('2: outside the relay range, Default Frontend is the only match', () => {
    const s = snapshot({ connectors: [defaultFrontend(), relayConnector('Relay', ['10.1.1.0/24'])] });
    assert.equal(on(s, '10.1.2.9'), 'Default Frontend EX01');
    assert.equal(on(s, '10.1.1.9'), 'Relay');
  });

  it('3: a wildcard-bound connector with a strictly smaller range beats an exact binding', () => {
    const s = snapshot({ connectors: [
      relayConnector('A', ['10.0.0.0/8'], 'EX01', { bindings: [{ address: '10.0.0.10', port: 25 }] }),
      relayConnector('B', ['10.1.1.5']),
    ] });
    assert.equal(on(s, '10.1.1.5', '10.0.0.10'), 'B');
    const d = selectConnectorDetailed(buildPolicy(s), { server: 'EX01', port: 25, localAddress: '10.0.0.10' }, '10.1.1.5');
    assert.equal(d?.binding, 'wildcard');
  });

  it('4: equal ranges, the exact binding wins the tie', () => {
    const s = snapshot({ connectors: [
      relayConnector('B', ['10.1.1.5']),
      relayConnector('A', ['10.1.1.5'], 'EX01', { bindings: [{ address: '10.0.0.10', port: 25 }] }),
    ] });
    assert.equal(on(s, '10.1.1.5', '10.0.0.10'), 'A');
    // Connecting to another address of the server, only the wildcard binding applies.
    assert.equal(on(s, '10.1.1.5', '10.0.0.11'), 'B');
  });

  it('5: no matching range → no connector (421 4.3.2), but the port listens', () => {
    const s = snapshot({ connectors: [relayConnector('Relay', ['10.1.1.0/24'], 'EX01', { bindings: [{ address: '10.0.0.10', port: 25 }] })] });
    assert.equal(on(s, '8.8.8.8', '10.0.0.10'), null);
    const policy = buildPolicy(s);
    assert.equal(isListening(policy, { server: 'EX01', port: 25, localAddress: '10.0.0.10' }, '8.8.8.8'), true);
    assert.equal(isListening(policy, { server: 'EX01', port: 587, localAddress: '10.0.0.10' }, '8.8.8.8'), false);
  });

  it('6: the documentation example (.75 → B, .100 → A)', () => {
    const s = snapshot({ connectors: [
      connector({ name: 'Client Frontend', bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [ALL_V4] }),
      relayConnector('A', ['192.168.1.0-192.168.1.255']),
      relayConnector('B', ['192.168.1.75']),
    ] });
    assert.equal(on(s, '192.168.1.75'), 'B');
    assert.equal(on(s, '192.168.1.100'), 'A');
    assert.equal(on(s, '192.168.2.1'), 'Client Frontend');
  });

  it('7: an IPv6 client only matches IPv6 ranges of connectors bound to [::] or that address', () => {
    const s = snapshot({ connectors: [
      defaultFrontend('EX01', { bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [ALL_V4] }),
      relayConnector('V6', ['2001:db8::5-2001:db8::5'], 'EX01', { bindings: [{ address: '::', port: 25 }] }),
    ] });
    assert.equal(on(s, '2001:db8::5'), 'V6');
    assert.equal(on(s, '2001:db8::6'), null);
    assert.equal(on(s, '10.0.0.1'), 'Default Frontend EX01');
    // An IPv4 client connecting to an IPv6 local address matches nothing.
    assert.equal(on(s, '10.0.0.1', '::'), null);
  });
});

describe('selection: roles, states and addresses', () => {
  it('ignores disabled connectors', () => {
    const s = snapshot({ connectors: [defaultFrontend(), relayConnector('Relay', ['10.1.1.5'], 'EX01', { enabled: false })] });
    assert.equal(on(s, '10.1.1.5'), 'Default Frontend EX01');
  });

  it('only connectors of the role that owns the port are candidates (§4.1)', () => {
    const hubRelay = relayConnector('Hub relay', ['10.1.1.5'], 'EX01', { transportRole: 'HubTransport' });
    const s = snapshot({ connectors: [defaultFrontend(), hubRelay, hubDefault()] });
    // Port 25 belongs to Front End; the hub connector on 25 conflicts and is not selected.
    assert.equal(on(s, '10.1.1.5'), 'Default Frontend EX01');
    assert.equal(on(s, '10.1.1.5', null, 2525), 'Default EX01');
    assert.deepEqual(portsOf(buildPolicy(s), 'ex01'), [25, 2525]);
  });

  it('Exchange 2010: connectors without transportRole are all one service', () => {
    const s = snapshot({ connectors: [
      connector({ name: 'Default EX10', transportRole: null, permissionGroups: ['ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers'] }, 'EX10'),
      relayConnector('Relay EX10', ['10.1.1.5'], 'EX10', { transportRole: null }),
    ] });
    assert.equal(names(selectConnector(buildPolicy(s), { server: 'EX10', port: 25 }, '10.1.1.5')), 'Relay EX10');
    assert.equal(names(selectConnector(buildPolicy(s), { server: 'EX10', port: 25 }, '10.1.1.6')), 'Default EX10');
  });

  it('UNSURE(reference): an IPv4-mapped client address matches IPv4 ranges', () => {
    const s = snapshot({ connectors: [defaultFrontend(), relayConnector('Relay', ['10.1.1.5'])] });
    assert.equal(on(s, '::ffff:10.1.1.5'), 'Relay');
  });

  it('a port bound only to a specific address resolves to it when no local address is given', () => {
    const s = snapshot({ connectors: [relayConnector('Apps', ['10.1.0.0/16'], 'EX01', { bindings: [{ address: '10.0.0.10', port: 2526 }] })] });
    assert.equal(on(s, '10.1.2.3', null, 2526), 'Apps');
    assert.equal(on(s, '10.1.2.3', '10.0.0.99', 2526), null);
  });

  it('server names compare case-insensitively; unknown server or port gives null', () => {
    const s = snapshot({ connectors: [defaultFrontend()] });
    const policy = buildPolicy(s);
    assert.equal(names(selectConnector(policy, { server: 'ex01', port: 25 }, '1.2.3.4')), 'Default Frontend EX01');
    assert.equal(selectConnector(policy, { server: 'EX02', port: 25 }, '1.2.3.4'), null);
    assert.equal(selectConnector(policy, { server: 'EX01', port: 26 }, '1.2.3.4'), null);
    assert.equal(selectConnector(policy, { server: 'EX01', port: 25 }, 'not-an-ip'), null);
  });

  it('equal ranges in one set go to the connector exported first (reported tie-break)', () => {
    const s = snapshot({ connectors: [relayConnector('First', ['10.1.1.0/24']), relayConnector('Second', ['10.1.1.0/24'])] });
    assert.equal(on(s, '10.1.1.7'), 'First');
  });

  it('buildPolicy is memoised per snapshot object', () => {
    const s = snapshot({ connectors: [defaultFrontend()] });
    assert.equal(buildPolicy(s), buildPolicy(s));
  });
});

describe('selection: winning intervals', () => {
  it('partitions the address space by winner, over intervals', () => {
    const s = snapshot({ connectors: [
      defaultFrontend(),
      relayConnector('A', ['192.168.1.0-192.168.1.255']),
      relayConnector('B', ['192.168.1.75']),
    ] });
    const won = winningIntervals(buildPolicy(s), { server: 'EX01', port: 25, localAddress: '0.0.0.0' })
      .map((w) => `${formatAddress(w.family, w.first)}-${formatAddress(w.family, w.last)} ${w.connector.name}`);
    assert.deepEqual(won, [
      '0.0.0.0-192.168.0.255 Default Frontend EX01',
      '192.168.1.0-192.168.1.74 A',
      '192.168.1.75-192.168.1.75 B',
      '192.168.1.76-192.168.1.255 A',
      '192.168.2.0-255.255.255.255 Default Frontend EX01',
    ]);
    const both = winningIntervals(buildPolicy(s), { server: 'EX01', port: 25, localAddress: null });
    assert.equal(both.filter((w) => w.family === 6).length, 1);
  });

  it('intervalsWonBy finds shadowed connectors (nothing won)', () => {
    const shadowed = relayConnector('Shadowed', ['10.1.1.0/24']);
    const s = snapshot({ connectors: [defaultFrontend(), relayConnector('Wide', ['10.1.0.0/16']), shadowed, relayConnector('Lo', ['10.1.1.0-10.1.1.127']), relayConnector('Hi', ['10.1.1.128-10.1.1.255'])] });
    const policy = buildPolicy(s);
    assert.deepEqual(intervalsWonBy(policy, shadowed), []);
    const wide = intervalsWonBy(policy, s.connectors[1] as ReceiveConnector);
    assert.equal(wide.length, 2);
    assert.equal(intervalsWonBy(policy, { ...shadowed, enabled: false }).length, 0);
  });

  it('agrees with a brute-force evaluation of §4.2 on random estates', () => {
    let seed = 12345;
    const rnd = (n: number) => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
    const addr = (v: number) => `10.0.${Math.floor(v / 256)}.${v % 256}`;
    for (let round = 0; round < 30; round++) {
      const connectors: ReceiveConnector[] = [];
      const count = 1 + rnd(6);
      for (let c = 0; c < count; c++) {
        const ranges = [];
        for (let r = 0; r < 1 + rnd(4); r++) {
          const a = rnd(1024);
          const b = Math.min(1023, a + rnd(300));
          ranges.push(range(`${addr(a)}-${addr(b)}`));
        }
        const exact = rnd(3) === 0;
        connectors.push(connector({ name: `C${c}`, enabled: rnd(6) !== 0, remoteIPRanges: ranges,
          bindings: [{ address: exact ? '10.9.9.9' : '0.0.0.0', port: 25 }] }));
      }
      const s = snapshot({ connectors });
      const policy = buildPolicy(s);
      const won = winningIntervals(policy, { server: 'EX01', port: 25, localAddress: '10.9.9.9' });
      for (let v = 0; v < 1024; v += 1 + rnd(5)) {
        const remote = addr(v);
        const value = parseAddress(remote)?.value ?? -1n;
        // brute force per §4.2
        const best = (exactSet: boolean) => {
          let win: { c: ReceiveConnector; size: bigint } | null = null;
          for (const c of connectors) {
            if (!c.enabled || (c.bindings[0]?.address === '10.9.9.9') !== exactSet) continue;
            for (const r of c.remoteIPRanges) {
              const i = rangeInterval(r);
              if (i.first <= value && value <= i.last) {
                const size = i.last - i.first + 1n;
                if (win === null || size < win.size) win = { c, size };
              }
            }
          }
          return win;
        };
        const x = best(true);
        const w = best(false);
        const expected = x === null ? (w?.c ?? null) : w === null ? x.c : (w.size < x.size ? w.c : x.c);
        const got = selectConnector(policy, { server: 'EX01', port: 25, localAddress: '10.9.9.9' }, remote);
        assert.equal(got?.name ?? null, expected?.name ?? null, `round ${round} address ${remote}`);
        const seg = won.find((i) => i.first <= value && value <= i.last);
        assert.equal(seg?.connector.name ?? null, expected?.name ?? null, `interval for ${remote}`);
      }
    }
  });
});

describe('selection: UNSURE(reference) port ownership in a role conflict', () => {
  it('UNSURE(reference): when both roles bind a port, its default owner keeps it (587 Front End, 2525 hub, others Front End)', () => {
    const hub587 = connector({ name: 'Hub 587', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 587 }], remoteIPRanges: [range('10.1.1.5')] });
    const fe2525 = connector({ name: 'FE 2525', bindings: [{ address: '0.0.0.0', port: 2525 }], remoteIPRanges: [range('10.1.1.5')] });
    const fe = connector({ name: 'FE 587', bindings: [{ address: '0.0.0.0', port: 587 }] });
    const hub = connector({ name: 'Hub 2525', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 2525 }] });
    const hub9 = connector({ name: 'Hub 9999', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 9999 }], remoteIPRanges: [range('10.1.1.5')] });
    const fe9 = connector({ name: 'FE 9999', bindings: [{ address: '0.0.0.0', port: 9999 }] });
    const s = snapshot({ connectors: [hub587, fe2525, fe, hub, hub9, fe9] });
    assert.equal(on(s, '10.1.1.5', null, 587), 'FE 587');
    assert.equal(on(s, '10.1.1.5', null, 2525), 'Hub 2525');
    assert.equal(on(s, '10.1.1.5', null, 9999), 'FE 9999');
  });
});

describe('selection: reported states', () => {
  it('equal ranges on two connectors of one binding set are reported in policy.problems', () => {
    const s = snapshot({ connectors: [relayConnector('First', ['10.1.1.0/24']), relayConnector('Second', ['10.1.1.0/24'])] });
    const policy = buildPolicy(s);
    assert.equal(on(s, '10.1.1.7'), 'First');
    assert.equal(policy.problems.length, 1);
    assert.match(policy.problems[0] ?? '', /EX01\\First and EX01\\Second both have range 10\.1\.1\.0\/24/);
  });
});

describe('selectConnector4 (an IPv4 client as its value)', () => {
  it('names the connector selectConnector names, on 150 random servers, endpoints and clients', () => {
    let hits = 0;
    let misses = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const random = prng(seed);
      const pick = (n: number): number => Math.floor(random() * n);
      const value = (): number => (pick(3) === 0 ? 0 : 10 * 2 ** 24) + pick(2000) * (pick(2) === 0 ? 1 : 2 ** pick(14));
      const text = (v: number): string => formatAddress(4, BigInt(v));
      const bindings = [[{ address: '0.0.0.0', port: 25 }], [{ address: '10.0.0.10', port: 25 }], [{ address: '0.0.0.0', port: 2525 }, { address: '10.0.0.11', port: 25 }], [{ address: '::', port: 25 }]];
      const connectors = Array.from({ length: 1 + pick(8) }, (_, c): ReceiveConnector => {
        const ranges = Array.from({ length: pick(10) }, () => { const a = value(); const b = pick(2) === 0 ? a : a + pick(5000); return a === b ? text(a) : `${text(a)}-${text(b)}`; });
        return { ...relayConnector(`C${c}`, ranges, pick(5) === 0 ? 'EX02' : 'EX01', { bindings: bindings[pick(bindings.length)] as ReceiveConnector['bindings'] }), enabled: pick(8) !== 0 };
      });
      const policy = buildPolicy(snapshot({ connectors: pick(2) === 0 ? [defaultFrontend(), ...connectors] : connectors }));
      for (let q = 0; q < 200; q++) {
        const endpoint = { server: pick(6) === 0 ? 'EX02' : 'EX01', port: [25, 2525, 587][pick(3)] as number, localAddress: [null, '10.0.0.10', '10.0.0.11', '10.0.0.12', '::1'][pick(5)] as string | null };
        const v = pick(10) === 0 ? [0, 2 ** 32 - 1][pick(2)] as number : value() + pick(3);
        const expected = selectConnector(policy, endpoint, text(v));
        if (expected === null) misses++; else hits++;
        assert.equal(selectConnector4(policy, endpoint, v), expected, `seed ${seed} ${JSON.stringify(endpoint)} ${text(v)}`);
      }
    }
    assert.ok(hits > 1000 && misses > 1000, `hits ${hits}, misses ${misses}`);
  });
});
