// A 2016 server with one connector of every relay behaviour the Postfix emitter translates,
// and scenarios that cross every interval boundary, for the emitter's unit and Postfix tests.
import type { Scenario, Snapshot } from '../../src/model.js';
import {
  acceptedDomain, anonymousRelay, connector, defaultInstall, estate, groupPermissions, permission, range,
} from './build.js';

export function postfixEstate(): Snapshot {
  const base = defaultInstall('2016');
  const [printers, printersAce] = anonymousRelay({ name: 'Relay Printers EX01', remoteIPRanges: [range('10.20.0.0/24')] });
  // A narrower connector inside the printers' range: anonymous may submit, but not relay.
  const scanner = connector({ name: 'Scanner EX01', permissionGroups: ['AnonymousUsers'], remoteIPRanges: [range('10.20.0.16-10.20.0.23')] });
  const partner = connector({
    name: 'Partner Secured EX01', permissionGroups: ['ExchangeServers'], authMechanism: ['Tls', 'ExternalAuthoritative'],
    remoteIPRanges: [range('198.51.100.7')],
  });
  // Nobody may submit here (Custom usage with no permissions yet): every recipient is refused.
  const locked = connector({ name: 'Locked EX01', remoteIPRanges: [range('10.30.0.0/16')] });
  // Only on port 2526 (an application port), relay for one IPv6 host.
  const [app6, app6Ace] = anonymousRelay({
    name: 'App v6 EX01', bindings: [{ address: '::', port: 2526 }, { address: '0.0.0.0', port: 2526 }],
    remoteIPRanges: [range('2001:db8:10::5'), range('10.40.0.1')],
  });
  return estate(
    base,
    printers, printersAce, scanner, ...groupPermissions(scanner), partner, ...groupPermissions(partner),
    locked, app6, app6Ace,
    acceptedDomain({ domainName: '*.branch.corp.example', domainType: 'InternalRelay', default: false }),
    acceptedDomain({ domainName: 'partner-relay.example', domainType: 'ExternalRelay', default: false }),
    permission({ identity: 'EX01\\Scanner EX01', user: 'NT AUTHORITY\\ANONYMOUS LOGON', deny: true, extendedRights: ['ms-Exch-SMTP-Accept-Any-Recipient'] }),
  );
}

const RECIPIENTS = ['user@corp.example', 'user@eu.corp.example', 'user@site.branch.corp.example', 'user@branch.corp.example', 'x@partner-relay.example', 'someone@external.example'];

/** Anonymous scenarios (Postfix's SASL backend is a site setting, so AUTH is not compared). */
export function postfixScenarios(): Scenario[] {
  const clients = [
    '10.20.0.1', '10.20.0.15', '10.20.0.16', '10.20.0.23', '10.20.0.24', '10.20.0.255', '10.20.1.0',
    '198.51.100.7', '198.51.100.8', '10.30.255.255', '10.31.0.0', '203.0.113.9', '10.40.0.1',
    '2001:db8:10::5', '2001:db8:10::6',
  ];
  const out: Scenario[] = [];
  for (const port of [25, 2526]) {
    for (const clientIp of clients) {
      out.push({
        name: `${clientIp} port ${port}`, server: 'EX01', clientIp, port, tls: false, auth: null,
        helo: 'client.example', mailFrom: 'sender@corp.example', rcptTo: RECIPIENTS,
      });
    }
  }
  return out;
}
