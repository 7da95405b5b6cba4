import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { effectiveClientAddress, isTrustedPeer } from '../../src/sandbox/client-address.js';
import { connectionAddressText } from '../../src/net/index.js';

describe('effective client address', () => {
  const base = { xclient: null, proxy: null, clientIp: null, peer: '127.0.0.1' };
  it('follows the contract order XCLIENT > PROXY > --client-ip > peer', () => {
    assert.deepEqual(effectiveClientAddress({ ...base, xclient: '192.0.2.1', proxy: '192.0.2.2', clientIp: '192.0.2.3' }), { address: '192.0.2.1', origin: 'xclient' });
    assert.deepEqual(effectiveClientAddress({ ...base, proxy: '192.0.2.2', clientIp: '192.0.2.3' }), { address: '192.0.2.2', origin: 'proxy' });
    assert.deepEqual(effectiveClientAddress({ ...base, clientIp: '192.0.2.3' }), { address: '192.0.2.3', origin: 'client-ip' });
    assert.deepEqual(effectiveClientAddress(base), { address: '127.0.0.1', origin: 'peer' });
  });
  it('normalises IPv4-mapped and long IPv6 forms', () => {
    assert.equal(connectionAddressText('::ffff:192.0.2.9'), '192.0.2.9');
    assert.equal(connectionAddressText('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
    assert.equal(connectionAddressText('[::1]'), '::1');
  });
  it('trusts loopback and --trust-proxy addresses only', () => {
    assert.equal(isTrustedPeer('127.0.0.1', []), true);
    assert.equal(isTrustedPeer('127.8.9.10', []), true);
    assert.equal(isTrustedPeer('::1', []), true);
    assert.equal(isTrustedPeer('::ffff:127.0.0.1', []), true);
    assert.equal(isTrustedPeer('192.0.2.10', []), false);
    assert.equal(isTrustedPeer('192.0.2.10', ['192.0.2.10']), true);
    assert.equal(isTrustedPeer('2001:db8::1', ['2001:DB8::1']), true);
  });
});
