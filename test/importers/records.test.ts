import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { connectorIdentityFromPath, mapAdPermission } from '../../src/importers/records/ad-permission.js';
import { classifyRecord } from '../../src/importers/records/common.js';
import { mapExchangeCertificate, parseServices } from '../../src/importers/records/exchange-certificate.js';
import { mapReceiveConnector } from '../../src/importers/records/receive-connector.js';
import type { PsRecord, PsValue } from '../../src/importers/types.js';

const rec = (props: Record<string, PsValue>, typeNames: string[] = []): PsRecord =>
  ({ typeNames, props: new Map(Object.entries(props)), source: { file: 'f', line: 1 } });

describe('record mappers', () => {
  it('ADPermission entries listed by connector DN or canonical path get the SERVER\\Name identity', () => {
    assert.equal(connectorIdentityFromPath('CN=Relay\\, Scanners,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,CN=Exchange Administrative Group (FYDIBOHF23SPDLT)'), 'EX01\\Relay, Scanners');
    assert.equal(connectorIdentityFromPath('corp.example/Configuration/Services/Microsoft Exchange/Corp/Administrative Groups/AG/Servers/EX01/Protocols/SMTP Receive Connectors/Relay EX01'), 'EX01\\Relay EX01');
    const { value } = mapAdPermission(rec({ Identity: 'CN=Relay EX01,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,CN=x', User: 'S-1-5-7', ExtendedRights: ['ms-Exch-SMTP-Submit'] }));
    assert.equal(value?.identity, 'EX01\\Relay EX01');
    assert.match(value?.extra?.exportedIdentity as string, /^CN=Relay EX01,/);
  });

  it('the collect script\'s Server note names the certificate\'s server', () => {
    const { value } = mapExchangeCertificate(rec({ Thumbprint: 'ab12', Subject: 'CN=mail.corp.example', Issuer: 'CN=CA', NotAfter: '2027-01-01T00:00:00Z', Server: 'EX02', PSComputerName: 'ex01.corp.example', Services: 'IMAP, POP, IIS, SMTP' }));
    assert.equal(value?.server, 'EX02');
    assert.equal(value?.thumbprint, 'AB12');
    assert.deepEqual(value?.services, ['IMAP', 'POP', 'IIS', 'SMTP']);
    assert.deepEqual(value?.dnsNames, ['mail.corp.example']);
  });

  // UNSURE(reference): the one-letter Services column and the AllowedServices flag values are not in the reference.
  it('UNSURE(reference): certificate Services from the table letters and from flag numbers', () => {
    assert.deepEqual(parseServices('IP.WS..'), ['IMAP', 'POP', 'IIS', 'SMTP']);
    assert.deepEqual(parseServices('.......'), []);
    assert.deepEqual(parseServices(24), ['IIS', 'SMTP']);
  });

  it('a 2010 connector (no TransportRole) has transportRole null; unknown property values warn', () => {
    const { value, warnings } = mapReceiveConnector(rec({
      Identity: 'HUB\\Default HUB', Enabled: 'True', Bindings: '{0.0.0.0:25, bogus}', RemoteIPRanges: '{0.0.0.0-255.255.255.255}',
      PermissionGroups: 'ExchangeUsers', AuthMechanism: 'Tls', RequireTLS: 'False', DomainSecureEnabled: 'False',
      ProtocolLoggingLevel: 'None', MaxMessageSize: '10 MB (10,485,760 bytes)', MaxRecipientsPerMessage: '5000',
    }, ['Microsoft.Exchange.Data.Directory.SystemConfiguration.ReceiveConnector']));
    assert.equal(value?.transportRole, null);
    assert.equal(value?.server, 'HUB');
    assert.deepEqual(value?.bindings, [{ address: '0.0.0.0', port: 25 }]);
    assert.equal(value?.maxMessageSize, 10485760);
    assert.deepEqual(warnings.map((w) => w.message), ['HUB\\Default HUB: binding "bogus" is not IP:port; skipped']);
  });

  it('a list printed as its type name (ConvertTo-Json below -Depth) is reported once and counts as missing', () => {
    const { value, warnings } = mapReceiveConnector(rec({ Identity: 'EX\\R', Bindings: ['0.0.0.0:25'], RemoteIPRanges: 'Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPRange]' }));
    assert.deepEqual(value?.remoteIPRanges, []);
    assert.match(warnings[0]?.message ?? '', /^EX\\R: RemoteIPRanges holds the type name "Microsoft\.Exchange\.Data\.MultiValuedProperty/);
    assert.deepEqual(value?.extra?.notInExport, ['RemoteIPRanges', 'PermissionGroups', 'AuthMechanism', 'ProtocolLoggingLevel', 'Enabled', 'RequireTLS', 'DomainSecureEnabled', 'MaxMessageSize', 'MaxRecipientsPerMessage']);
  });

  it('typed objects of other classes are not guessed from their properties', () => {
    assert.equal(classifyRecord(rec({ AdminDisplayVersion: 'Version 15.1', Fqdn: 'x' }, ['Microsoft.Exchange.Data.Directory.Management.Mailbox'])), 'unknown');
    assert.equal(classifyRecord(rec({ AdminDisplayVersion: 'Version 15.1', Fqdn: 'x' })), 'exchange-server');
    assert.equal(classifyRecord(rec({ User: 'x', Rights: 'y' })), 'ad-permission');
    assert.equal(classifyRecord(rec({ Name: 'x' }, ['Selected.Microsoft.Exchange.Data.Directory.SystemConfiguration.AcceptedDomain'])), 'accepted-domain');
  });
});
