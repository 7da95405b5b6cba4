import rule from '../../../src/analyzers/rules/wildcard-accepted-domain.js';
import { acceptedDomain, defaults, estate } from '../../helpers/build.js';
import { testRule } from '../../helpers/rule-tester.js';

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'subdomain wildcard of a relay type', snapshot: estate(acceptedDomain(), acceptedDomain({ domainName: '*.corp.example', domainType: 'InternalRelay', default: false })) },
    { name: 'top-level wildcard *.com (covers .com only)', snapshot: estate(acceptedDomain(), acceptedDomain({ domainName: '*.com', domainType: 'ExternalRelay', default: false })) },
    { name: '* as Authoritative (not a relay type)', snapshot: estate(acceptedDomain(), acceptedDomain({ domainName: '*', domainType: 'Authoritative', default: false })) },
    { name: 'plain relay domain', snapshot: estate(acceptedDomain(), acceptedDomain({ domainName: 'partner.example', domainType: 'InternalRelay', default: false })) },
  ],
  invalid: [
    { name: '* as InternalRelay', snapshot: estate(acceptedDomain(), acceptedDomain({ domainName: '*', domainType: 'InternalRelay', default: false })),
      findings: [{ connector: null, server: null, severity: 'critical', evidence: { acceptedDomain: { domainName: '*', domainType: 'InternalRelay' } } }] },
    { name: '* as ExternalRelay (CSS-Exchange "Bad Accepted Domain")', snapshot: estate(acceptedDomain(), acceptedDomain({ domainName: '*', domainType: 'ExternalRelay', default: false })),
      findings: [{ connector: null, evidence: { acceptedDomain: { domainName: '*', domainType: 'ExternalRelay' } } }] },
  ],
});
