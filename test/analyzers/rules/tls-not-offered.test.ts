import rule from '../../../src/analyzers/rules/tls-not-offered.js';
import { connector, defaults, estate, range } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'no Tls on a port that is not 25, 587 or 465', snapshot: estate(connector({ authMechanism: [], bindings: [{ address: '0.0.0.0', port: 2526 }] })) },
    { name: 'disabled connector without Tls on 25', snapshot: estate(connector({ enabled: false, authMechanism: [] })) },
    { name: 'Tls offered on 587', snapshot: estate(connector({ authMechanism: ['Tls'], bindings: [{ address: '0.0.0.0', port: 587 }] })) },
  ],
  invalid: [
    { name: 'AuthMechanism None on port 25', snapshot: estate(connector({ identity: 'EX01\\Plain', authMechanism: [] })),
      findings: [{ connector: 'EX01\\Plain', severity: 'medium', evidence: { ports: [25], reachedBy: 'every IPv4 and IPv6 address, public ones (about 4.2 billion IPv4 addresses and more than half of IPv6) among them' } }] },
    { name: 'printer relay without Tls for a /24 of private hosts: low', snapshot: estate(defaults.exchange2016(), connector({ identity: 'EX01\\Printers', authMechanism: [], remoteIPRanges: [range('10.20.30.0/24')] })),
      findings: [{ connector: 'EX01\\Printers', severity: 'low', evidence: { ports: [25], reachedBy: '256 IPv4 addresses, all private' } }] },
    { name: '257 private addresses are not a small relay: medium', snapshot: estate(defaults.exchange2016(), connector({ identity: 'EX01\\Printers', authMechanism: [], remoteIPRanges: [range('10.20.30.0/24'), range('10.20.31.1')] })),
      findings: [{ connector: 'EX01\\Printers', severity: 'medium', evidence: { reachedBy: '257 IPv4 addresses, all private' } }] },
    { name: 'one public host without Tls: medium', snapshot: estate(defaults.exchange2016(), connector({ identity: 'EX01\\Partner', authMechanism: [], remoteIPRanges: [range('198.51.100.7')] })),
      findings: [{ connector: 'EX01\\Partner', severity: 'medium' , evidence: { ports: [25] } }] },
    { name: 'BasicAuth on a small private relay is still high', snapshot: estate(defaults.exchange2016(), connector({ identity: 'EX01\\Printers', authMechanism: ['BasicAuth'], remoteIPRanges: [range('10.20.30.0/28')] })),
      findings: [{ connector: 'EX01\\Printers', severity: 'high', evidence: { authMechanism: ['BasicAuth'] } }] },
    { name: 'BasicAuth without Tls on 587 and 465 is high', snapshot: estate(connector({ identity: 'EX01\\Clients', authMechanism: ['BasicAuth'], bindings: [{ address: '0.0.0.0', port: 587 }, { address: '0.0.0.0', port: 465 }] })),
      findings: [{ connector: 'EX01\\Clients', severity: 'high', evidence: { ports: [465, 587], authMechanism: ['BasicAuth'] } }] },
  ],
});
