import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  isTypeNameCell, parseAuthMechanism, parseBoolean, parseByteSize, parseDate,
  parsePermissionGroups, parseUnlimitedInt, splitList,
} from '../../src/importers/ps-values.js';

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
