// The §4.4 conflict finder apply and the fix generators share: pinned to the rules as reference
// §4.4 states them, pair by pair, on random servers (roles, wildcard and exact bindings, both
// families, ranges in any order, an unreadable range), including which clash it names first.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Binding, IpRange, ReceiveConnector } from '../../src/model.js';
import { bindingOverlap, intervalRelation, tryRangeInterval } from '../../src/net/index.js';
import { bindingConflict, type BindingClash } from '../../src/policy/binding-conflict.js';

/** Reference §4.4 read literally: every pair of bindings, then every pair of ranges. */
function pairwise(c: ReceiveConnector, sameServer: readonly ReceiveConnector[]): string | null {
  for (const o of sameServer) {
    if (o === c || o.identity.toLowerCase() === c.identity.toLowerCase()) continue;
    for (const b1 of c.bindings) for (const b2 of o.bindings) {
      const overlap = bindingOverlap(b1, b2);
      if (overlap === null) continue;
      if ((c.transportRole ?? '') !== (o.transportRole ?? '')) return `role ${o.name} ${b1.address} ${b2.address}`;
      for (const r1 of c.remoteIPRanges) for (const r2 of o.remoteIPRanges) {
        const i1 = tryRangeInterval(r1);
        const i2 = tryRangeInterval(r2);
        if (i1 === null || i2 === null) continue;
        const rel = intervalRelation(i1, i2);
        if (rel === 'partial' || (rel === 'equal' && overlap === 'identical')) return `${rel} ${o.name} ${b1.address} ${b2.address} ${r1.expression} ${r2.expression}`;
      }
    }
  }
  return null;
}

const text = (clash: BindingClash | null): string | null => clash === null ? null
  : clash.kind === 'role' ? `role ${clash.other.name} ${clash.binding.address} ${clash.otherBinding.address}`
    : `${clash.relation} ${clash.other.name} ${clash.binding.address} ${clash.otherBinding.address} ${clash.range.expression} ${clash.otherRange.expression}`;

let seed = 11;
const rnd = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };

function range(): IpRange {
  if (rnd(40) === 0) return { expression: 'not-a-range', first: 'x', last: 'y' };
  const a = rnd(120);
  const b = a + rnd(10);
  if (rnd(4) === 0) return { expression: `2001:db8::${a.toString(16)}-2001:db8::${b.toString(16)}`, first: `2001:db8::${a.toString(16)}`, last: `2001:db8::${b.toString(16)}` };
  return { expression: `10.0.0.${a}-10.0.0.${b}`, first: `10.0.0.${a}`, last: `10.0.0.${b}` };
}

const BINDINGS: Binding[] = [{ address: '0.0.0.0', port: 25 }, { address: '192.0.2.1', port: 25 }, { address: '::', port: 25 }, { address: '2001:db8::1', port: 25 }, { address: '0.0.0.0', port: 2525 }];

function connector(name: string): ReceiveConnector {
  return {
    identity: `EX01\\${name}`, server: 'EX01', name, transportRole: rnd(6) === 0 ? 'HubTransport' : 'FrontendTransport', enabled: rnd(5) !== 0,
    bindings: Array.from({ length: 1 + rnd(2) }, () => BINDINGS[rnd(BINDINGS.length)] as Binding),
    remoteIPRanges: Array.from({ length: 1 + rnd(12) }, range),
    permissionGroups: [], authMechanism: ['Tls'], requireTLS: false, domainSecureEnabled: false, fqdn: null,
    tlsCertificateName: null, banner: null, protocolLoggingLevel: 'None', maxMessageSize: null, maxRecipientsPerMessage: null,
  };
}

test('bindingConflict names the same first clash as §4.4 read pair by pair, on 400 random servers', () => {
  const seen = { role: 0, equal: 0, partial: 0, none: 0 };
  for (let round = 0; round < 400; round++) {
    const server = ['A', 'B', 'C', 'D'].map(connector);
    for (const c of server) {
      const expected = pairwise(c, server);
      const found = bindingConflict(c, server, c.remoteIPRanges);
      assert.equal(text(found), expected);
      seen[found === null ? 'none' : found.kind === 'role' ? 'role' : found.relation]++;
    }
  }
  for (const [kind, n] of Object.entries(seen)) assert.ok(n > 20, `the random servers produce ${kind} (${n})`);
});

test('the examples of §4.4: a partial overlap is refused, a nested range is not; equal ranges only on an identical binding', () => {
  const make = (name: string, address: string, ranges: string[][]): ReceiveConnector => ({
    ...connector(name), transportRole: 'FrontendTransport', bindings: [{ address, port: 25 }],
    remoteIPRanges: ranges.map(([first, last]) => ({ expression: `${first}-${last}`, first: first ?? '', last: last ?? '' })),
  });
  const a = make('A', '0.0.0.0', [['10.0.0.0', '10.0.0.255']]);
  assert.equal(bindingConflict(make('B', '0.0.0.0', [['10.0.0.128', '10.0.1.10']]), [a], [{ expression: '10.0.0.128-10.0.1.10', first: '10.0.0.128', last: '10.0.1.10' }])?.kind, 'ranges');
  assert.equal(bindingConflict(make('B', '0.0.0.0', [['10.0.0.5', '10.0.0.5']]), [a], [{ expression: '10.0.0.5', first: '10.0.0.5', last: '10.0.0.5' }]), null);
  const equal = make('B', '192.0.2.1', [['10.0.0.0', '10.0.0.255']]);
  assert.equal(bindingConflict(equal, [a], equal.remoteIPRanges), null, 'equal ranges through the wildcard are allowed');
  const same = make('C', '0.0.0.0', [['10.0.0.0', '10.0.0.255']]);
  const clash = bindingConflict(same, [a], same.remoteIPRanges);
  assert.equal(clash?.kind === 'ranges' ? clash.relation : null, 'equal');
});
