import { describe, it } from 'node:test';
import rule from '../../../src/analyzers/rules/wildcard-accepted-domain.js';
import { acceptedDomain, anonymousRelay, defaults, estate, range } from '../../helpers/build.js';
import { TEST_NOW } from '../../helpers/rule-tester.js';
import { checkFixCase, type FixCase } from './prove.js';

const withDomains = (...domains: ReturnType<typeof acceptedDomain>[]) => {
  const s = estate(defaults.exchange2016(), anonymousRelay({ remoteIPRanges: [range('10.1.1.5')] }));
  s.acceptedDomains.push(...domains);
  return s;
};

const cases: FixCase[] = [
  { name: '* as InternalRelay, named "Relay everything": removed by its Name; inbound mail and the relay host kept', expect: 'script',
    text: /^Remove-AcceptedDomain -Identity 'Relay everything' -Confirm:\$false -ErrorAction Stop$/,
    snapshot: withDomains(acceptedDomain({ domainName: '*', domainType: 'InternalRelay', default: false, extra: { name: 'Relay everything' } })) },
  { name: '*.com as ExternalRelay on 2010 with its Name as Get-AcceptedDomain prints it', expect: 'script', text: /-Identity 'All com'/,
    snapshot: (() => { const s = estate(defaults.exchange2010()); s.acceptedDomains.push(acceptedDomain({ domainName: '*.com', domainType: 'ExternalRelay', default: false, extra: { name: 'All com' } })); return s; })() },
  { name: 'a wildcard whose Name is not in the export: selected by the text of its DomainName', expect: 'script',
    text: /^Get-AcceptedDomain \| Where-Object \{ \$_\.DomainName\.ToString\(\) -eq '\*\.co\.uk' \} \| Remove-AcceptedDomain -Confirm:\$false -ErrorAction Stop$/,
    snapshot: withDomains(acceptedDomain({ domainName: '*.co.uk', domainType: 'InternalRelay', default: false })) },
  { name: 'a Name with * (a pattern to -Identity): selected by DomainName', expect: 'script', text: /DomainName\.ToString\(\) -eq '\*'/,
    snapshot: withDomains(acceptedDomain({ domainName: '*', domainType: 'ExternalRelay', default: false, extra: { Name: '*' } })) },
  { name: '* and *.com both without a Name: each script removes its own domain only (the other finding stays)', expect: 'script', text: /DomainName\.ToString\(\) -eq '\*(?:\.com)?' \}/,
    snapshot: withDomains(acceptedDomain({ domainName: '*.com', domainType: 'ExternalRelay', default: false }), acceptedDomain({ domainName: '*', domainType: 'InternalRelay', default: false })) },
  { name: 'the default accepted domain is *: another default first', expect: 'manual', text: /default accepted domain/,
    snapshot: (() => { const s = withDomains(acceptedDomain({ domainName: '*', domainType: 'InternalRelay', default: true, extra: { name: 'Star' } })); s.acceptedDomains[0] = { ...acceptedDomain(), default: false }; return s; })() },
];

describe('fix wildcard-accepted-domain', () => {
  for (const c of cases) it(c.name, async () => { await checkFixCase(rule, c, TEST_NOW); });
});
