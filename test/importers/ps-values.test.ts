import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isTypeNameCell, parseAuthMechanism, parseBinding, parseBoolean, parseByteSize, parseDate, parseIpRange,
  parsePermissionGroups, parseUnlimitedInt, splitList,
} from '../../src/importers/ps-values.js';

describe('parseIpRange', () => {
  const cases: Array<[string, string, string]> = [
    ['192.0.2.10', '192.0.2.10', '192.0.2.10'],
    ['192.168.1.1/24', '192.168.1.0', '192.168.1.255'],
    ['10.0.0.0/8', '10.0.0.0', '10.255.255.255'],
    ['192.0.2.1-192.0.2.20', '192.0.2.1', '192.0.2.20'],
    ['0.0.0.0-255.255.255.255', '0.0.0.0', '255.255.255.255'],
    ['::-ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['2001:0DB8:0000:0000:0000:0000:0000:0001', '2001:db8::1', '2001:db8::1'],
    ['2001:db8::/32', '2001:db8::', '2001:db8:ffff:ffff:ffff:ffff:ffff:ffff'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1%11', 'fe80::1', 'fe80::1'],
    ['192.168.1.0(255.255.255.0)', '192.168.1.0', '192.168.1.255'],
    ['010.001.000.001', '10.1.0.1', '10.1.0.1'],
    ['::ffff:192.0.2.1', '::ffff:192.0.2.1', '::ffff:192.0.2.1'],
  ];
  for (const [expr, first, last] of cases) {
    it(expr, () => assert.deepEqual(parseIpRange(expr), { expression: expr, first, last }));
  }
  for (const bad of ['', 'x', '1.2.3', '256.1.1.1', '10.0.0.9-10.0.0.1', '10.0.0.1-::1', '10.0.0.0/33', '10.0.0.0(255.0.255.0)']) {
    it(`rejects "${bad}"`, () => assert.equal(parseIpRange(bad), null));
  }
});

describe('parseBinding', () => {
  it('[::]:25', () => assert.deepEqual(parseBinding('[::]:25'), { address: '::', port: 25 }));
  it('0.0.0.0:2525', () => assert.deepEqual(parseBinding('0.0.0.0:2525'), { address: '0.0.0.0', port: 2525 }));
  it('specific IPv6 in RFC 5952 form', () => assert.deepEqual(parseBinding('[2001:DB8:0:0::10]:587'), { address: '2001:db8::10', port: 587 }));
  it('rejects a missing or bad port', () => {
    assert.equal(parseBinding('10.0.0.1'), null);
    assert.equal(parseBinding('10.0.0.1:99999'), null);
    assert.equal(parseBinding('mail:25'), null);
  });
});

describe('scalars', () => {
  it('byte sizes', () => {
    assert.equal(parseByteSize('36 MB (37,748,736 bytes)'), 37748736);
    assert.equal(parseByteSize('256 KB (262,144 bytes)'), 262144);
    assert.equal(parseByteSize('36 MB (37.748.736 bytes)'), 37748736);
    assert.equal(parseByteSize('Unlimited'), null);
    assert.equal(parseByteSize('10MB'), 10485760);
    assert.equal(parseByteSize('1024'), 1024);
    assert.equal(parseByteSize('lots'), undefined);
  });
  it('Unlimited integers', () => {
    assert.equal(parseUnlimitedInt('Unlimited'), null);
    assert.equal(parseUnlimitedInt('5000'), 5000);
    assert.equal(parseUnlimitedInt('many'), undefined);
  });
  it('booleans', () => {
    assert.equal(parseBoolean('True'), true);
    assert.equal(parseBoolean('$false'), false);
    assert.equal(parseBoolean('maybe'), undefined);
  });
  it('dates: ISO and /Date()/ only; culture-printed dates are ambiguous', () => {
    assert.equal(parseDate('/Date(1629535434000)/'), '2021-08-21T08:43:54.000Z');
    assert.equal(parseDate('2021-08-21T08:43:54Z'), '2021-08-21T08:43:54Z');
    assert.equal(parseDate('2021-08-21T10:43:54+02:00'), '2021-08-21T08:43:54Z');
    assert.equal(parseDate('08/06/2021 15:59:05'), null);
  });
  it('lists: braces, and cells joined with ; , or spaces', () => {
    assert.deepEqual(splitList('{a, b, c}'), ['a', 'b', 'c']);
    assert.deepEqual(splitList('{}'), []);
    assert.deepEqual(splitList('10.0.0.1;10.0.0.2'), ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(splitList('10.0.0.1,10.0.0.2'), ['10.0.0.1', '10.0.0.2']);
    assert.deepEqual(splitList('10.0.0.1 10.0.0.2'), ['10.0.0.1', '10.0.0.2']);
  });
  it('type-name cells of Export-Csv', () => {
    assert.equal(isTypeNameCell('Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPRange]'), true);
    assert.equal(isTypeNameCell('System.Collections.ArrayList'), true);
    assert.equal(isTypeNameCell('System.Object[]'), true);
    assert.equal(isTypeNameCell('EX01\\Relay'), false);
    assert.equal(isTypeNameCell('Microsoft Exchange'), false);
  });
});

describe('flag enums (reference §1.3)', () => {
  it('numbers map by flag value in bit order', () => {
    assert.deepEqual(parseAuthMechanism(31).values, ['Tls', 'Integrated', 'BasicAuth', 'BasicAuthRequireTLS', 'ExchangeServer']);
    assert.deepEqual(parsePermissionGroups(13).values, ['AnonymousUsers', 'ExchangeServers', 'ExchangeLegacyServers']);
    assert.deepEqual(parsePermissionGroups(33).values, ['AnonymousUsers', 'Custom']);
  });
  it('names in any case and separator; None is empty', () => {
    assert.deepEqual(parseAuthMechanism('basicauth, TLS').values, ['Tls', 'BasicAuth']);
    assert.deepEqual(parseAuthMechanism('Tls;ExternalAuthoritative').values, ['Tls', 'ExternalAuthoritative']);
    assert.deepEqual(parseAuthMechanism('None').values, []);
    assert.deepEqual(parsePermissionGroups(0).values, []);
  });
  it('unknown names and bits are reported, not dropped silently', () => {
    assert.deepEqual(parsePermissionGroups('AnonymousUsers, Robots').unknown, ['Robots']);
    assert.deepEqual(parseAuthMechanism(64).unknown, ['64']);
  });
});

describe('IPv6 parsing and RFC 5952 form agree with ipaddr.js', () => {
  it('on 5,000 seeded random addresses with zero runs, written expanded, compressed and upper-case', async () => {
    const ipaddr = (await import('ipaddr.js')).default;
    const { formatV6 } = await import('../../src/importers/ps-values.js');
    let seed = 12345;
    const next = (): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
    for (let n = 0; n < 5000; n++) {
      const words = Array.from({ length: 8 }, () => (next() < 0.45 ? 0 : Math.floor(next() * 65536)));
      const expected = new ipaddr.IPv6(words).toRFC5952String();
      if (!(words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff)) assert.equal(formatV6(words), expected);
      const full = words.map((w) => w.toString(16).padStart(4, '0').toUpperCase()).join(':');
      for (const written of [full, expected, expected.toUpperCase()]) {
        assert.equal(parseIpRange(written)?.first, formatV6(words), written);
      }
    }
  });
  it('rejects malformed IPv6', () => {
    for (const bad of ['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::', 'g::1', ':::']) assert.equal(parseIpRange(bad), null, bad);
  });
});
