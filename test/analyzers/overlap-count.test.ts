// overlapping-remote-ranges keeps the first EVIDENCE_LIMIT overlaps of a pair and counts the
// rest (ranges that lie many deep overlap each other n × depth times): the count, the message
// and the evidence must stay what the full list gave.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import rule from '../../src/analyzers/rules/overlapping-remote-ranges.js';
import { EVIDENCE_LIMIT } from '../../src/analyzers/rule.js';
import { buildPolicy } from '../../src/policy/index.js';
import { anonymousRelay, connector, defaults, estate, range } from '../helpers/build.js';

describe('overlapping-remote-ranges: more overlaps than the evidence shows', () => {
  it('counts every overlap of a pair and shows the first EVIDENCE_LIMIT in address order', () => {
    const n = EVIDENCE_LIMIT + 23;
    // Relay /28s at 10.0.x.0 and app ranges 10.0.x.8-10.0.x.40: each pair of them partly overlaps once.
    const relay = anonymousRelay({ remoteIPRanges: Array.from({ length: n }, (_, x) => range(`10.0.${x}.0/28`)) });
    const apps = connector({ identity: 'EX01\\Apps', permissionGroups: ['AnonymousUsers'], remoteIPRanges: Array.from({ length: n }, (_, x) => range(`10.0.${x}.8-10.0.${x}.40`)) });
    const snapshot = estate(defaults.exchange2016(), relay, apps);
    const findings = rule.check({ snapshot, policy: buildPolicy(snapshot), now: new Date('2026-06-01T00:00:00Z'), options: { exchangeServers: [], loadBalancers: [] } });
    assert.equal(findings.length, 1);
    const f = findings[0];
    assert.equal(f?.evidence.overlapCount, n);
    const overlaps = f?.evidence.overlaps as Array<{ interval: { expression: string } }>;
    assert.equal(overlaps.length, EVIDENCE_LIMIT);
    assert.deepEqual(overlaps.map((o) => o.interval.expression), Array.from({ length: EVIDENCE_LIMIT }, (_, x) => `10.0.${x}.8/29`));
    assert.match(f?.message ?? '', new RegExp(`\\(10\\.0\\.0\\.8/29 and ${n - 1} more, won by `));
  });
});
