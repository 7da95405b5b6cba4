import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import rule, { unownableScope } from '../../../src/analyzers/rules/wildcard-accepted-domain.js';
import { runAudit } from '../../../src/analyzers/run.js';
import { importSources } from '../../../src/importers/index.js';
import { decodeSource } from '../../../src/source.js';
import { acceptedDomain, defaults, estate } from '../../helpers/build.js';
import { REPO_ROOT } from '../../helpers/cli.js';
import { TEST_NOW, testRule } from '../../helpers/rule-tester.js';

const relay = (domainName: string, domainType: 'InternalRelay' | 'ExternalRelay' = 'InternalRelay') => acceptedDomain({ domainName, domainType, default: false });

testRule(rule, {
  valid: [
    ...defaults.all(),
    { name: 'subdomain wildcard of a relay type', snapshot: estate(acceptedDomain(), relay('*.corp.example')) },
    { name: 'wildcard under an internal namespace that is not on the Public Suffix List (*.contoso.local)', snapshot: estate(acceptedDomain(), relay('*.contoso.local')) },
    { name: 'wildcard under a registrable domain (*.contoso.co.uk)', snapshot: estate(acceptedDomain(), relay('*.contoso.co.uk', 'ExternalRelay')) },
    { name: '* as Authoritative (not a relay type)', snapshot: estate(acceptedDomain(), acceptedDomain({ domainName: '*', domainType: 'Authoritative', default: false })) },
    { name: '*.com as Authoritative (not a relay type)', snapshot: estate(acceptedDomain(), acceptedDomain({ domainName: '*.com', domainType: 'Authoritative', default: false })) },
    { name: 'plain relay domain', snapshot: estate(acceptedDomain(), relay('partner.example')) },
  ],
  invalid: [
    { name: '* as InternalRelay', snapshot: estate(acceptedDomain(), relay('*')),
      findings: [{ connector: null, server: null, severity: 'critical', evidence: { acceptedDomain: { domainName: '*', domainType: 'InternalRelay' } } }] },
    { name: '* as ExternalRelay (CSS-Exchange "Bad Accepted Domain")', snapshot: estate(acceptedDomain(), relay('*', 'ExternalRelay')),
      findings: [{ connector: null, evidence: { acceptedDomain: { domainName: '*', domainType: 'ExternalRelay' } } }] },
    { name: '*.com as InternalRelay (a public suffix)', snapshot: estate(acceptedDomain(), relay('*.com')),
      findings: [{ connector: null, severity: 'critical', evidence: { acceptedDomain: { domainName: '*.com', domainType: 'InternalRelay' }, covers: '*.com (a public suffix)' } }] },
    { name: '*.co.uk as ExternalRelay (a two-label public suffix)', snapshot: estate(acceptedDomain(), relay('*.co.uk', 'ExternalRelay')),
      findings: [{ connector: null, evidence: { acceptedDomain: { domainName: '*.co.uk' } } }] },
    { name: '* and *.com beside each other: each fires on its own', snapshot: estate(acceptedDomain(), relay('*.com'), relay('*', 'ExternalRelay')),
      findings: [
        { connector: null, evidence: { acceptedDomain: { domainName: '*.com' } } },
        { connector: null, evidence: { acceptedDomain: { domainName: '*' } } },
      ] },
  ],
});

describe('wildcard-accepted-domain on real exports', () => {
  it('unownableScope follows the Public Suffix List', () => {
    assert.equal(unownableScope('*'), '*');
    assert.equal(unownableScope('*.com'), 'com');
    assert.equal(unownableScope('*.CO.UK.'), 'co.uk');
    assert.equal(unownableScope('*.github.io'), 'github.io');
    assert.equal(unownableScope('*.contoso.com'), null);
    assert.equal(unownableScope('*.contoso.local'), null);
    assert.equal(unownableScope('com'), null);
  });

  it('CSS-Exchange\'s "Bad" accepted-domain sample fires for "*.com" (InternalRelay) and "*" (ExternalRelay), not for "*.contoso.local"', async () => {
    const file = join(REPO_ROOT, '../shared/corpus/real/clixml-ex2019-accepteddomain-relay-wildcards-cssexchange-01.xml');
    const { snapshot } = await importSources([decodeSource(file, readFileSync(file))]);
    const doc = runAudit(snapshot, { rules: [rule] }, TEST_NOW);
    assert.deepEqual(doc.findings.map((f) => `${f.severity} ${String((f.evidence.acceptedDomain as { domainName: string }).domainName)}`).sort(), ['critical *', 'critical *.com']);
  });
});
