// Estates for the incremental re-audit's comparison (incremental-cases.ts) where the rules whose
// findings rest on neighbouring connectors fire: overlapping and shadowed ranges, duplicates,
// a port taken by both transport roles, a load balancer and an Exchange server inside relay
// ranges, and one connector that differs between two servers (and is missing on a third).
// The proof estates (estates.ts) hardly reach those rules.
import type { Snapshot } from '../../src/model.js';
import { ANONYMOUS, R, anonymousRelay, connector, defaults, estate, permission, range } from '../helpers/build.js';
import type { NamedEstate } from './estates.js';

function neighbours(): Snapshot {
  return estate(
    defaults.exchange2016({ server: 'EX01', ipAddress: '10.0.0.11' }),
    defaults.exchange2016({ server: 'EX02', ipAddress: '10.0.0.12' }),
    defaults.exchange2016({ server: 'EX03', ipAddress: '10.0.0.13' }),
    // Partly overlapping relay ranges, one of them relaying, one not.
    anonymousRelay({ name: 'Relay A EX01', server: 'EX01', remoteIPRanges: [range('10.1.0.0/24')] }),
    connector({ name: 'Apps B EX01', server: 'EX01', remoteIPRanges: [range('10.1.0.128-10.1.1.127')], permissionGroups: ['ExchangeUsers'], authMechanism: ['Tls', 'BasicAuth', 'BasicAuthRequireTLS'] }),
    // A wide connector whose every address goes to two narrower ones (shadowed), and a duplicate pair.
    connector({ name: 'Wide EX01', server: 'EX01', bindings: [{ address: '0.0.0.0', port: 2600 }], remoteIPRanges: [range('10.2.0.0/24')] }),
    connector({ name: 'Low half EX01', server: 'EX01', bindings: [{ address: '0.0.0.0', port: 2600 }], remoteIPRanges: [range('10.2.0.0/25')] }),
    connector({ name: 'High half EX01', server: 'EX01', bindings: [{ address: '0.0.0.0', port: 2600 }], remoteIPRanges: [range('10.2.0.128/25')] }),
    anonymousRelay({ name: 'Scanner EX01', server: 'EX01', remoteIPRanges: [range('10.3.0.5')] }),
    anonymousRelay({ name: 'Scanner copy EX01', server: 'EX01', remoteIPRanges: [range('10.3.0.5')] }),
    // A HubTransport connector on Front End's port 25.
    anonymousRelay({ name: 'Hub relay EX02', server: 'EX02', transportRole: 'HubTransport', bindings: [{ address: '0.0.0.0', port: 25 }], remoteIPRanges: [range('10.4.0.0/24')] }),
    // The same custom connector on two servers, with different ranges, missing on EX03; the
    // Exchange server EX01 (10.0.0.11) and the balancer 10.5.0.9 inside its ranges.
    anonymousRelay({ name: 'Apps', server: 'EX01', remoteIPRanges: [range('10.5.0.0/24'), range('10.0.0.0/28')] }),
    anonymousRelay({ name: 'Apps', server: 'EX02', remoteIPRanges: [range('10.5.0.0/25')] }),
    connector({ name: 'Other EX03', server: 'EX03', bindings: [{ address: '0.0.0.0', port: 587 }], remoteIPRanges: [range('10.6.0.0/16')], authMechanism: ['BasicAuth'], fqdn: 'mail.nowhere.example' }),
    // Anonymous denied Accept-Any-Recipient explicitly on Default Frontend EX03.
    permission({ identity: 'EX03\\Default Frontend EX03', user: ANONYMOUS, deny: true, extendedRights: [R.anyRecipient] }),
  );
}

export function incrementalEstates(): NamedEstate[] {
  return [{ name: 'neighbouring connectors on three servers', kind: 'bundled', loadBalancers: ['10.5.0.9'], snapshot: neighbours() }];
}
