import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { diffServers, logicalName, renderDiffText } from '../../src/diff/diff.js';
import { buildPolicy } from '../../src/policy/index.js';
import { anonymousRelay, connector, defaultInstall, estate, permission, range } from '../helpers/build.js';

describe('diff', () => {
  it('logicalName drops the server name wherever setup or the admin put it', () => {
    assert.equal(logicalName(connector({ identity: 'EX01\\Default Frontend EX01' })), 'default frontend');
    assert.equal(logicalName(connector({ identity: 'EX02\\Relay-EX02' })), 'relay');
    assert.equal(logicalName(connector({ identity: 'EX02\\EX02' })), 'ex02');
  });

  it('a server compared with itself has no differences', () => {
    const policy = buildPolicy(defaultInstall('2016'));
    const doc = diffServers({ policy, server: 'EX01' }, { policy, server: 'EX01' });
    assert.deepEqual(doc.summary, { intervals: 0, connectorsOnlyBefore: 0, connectorsOnlyAfter: 0, connectorsChanged: 0, permissionsOnlyBefore: 0, permissionsOnlyAfter: 0 });
  });

  it('names exactly the interval that loses relay when a range is narrowed on the new server', () => {
    const [oldRelay, oldAce] = anonymousRelay({ server: 'EX01', name: 'Relay EX01', remoteIPRanges: [range('10.1.0.0/24')] });
    const [newRelay, newAce] = anonymousRelay({ server: 'EX02', name: 'Relay EX02', remoteIPRanges: [range('10.1.0.0/25')] });
    const snap = estate(defaultInstall('2016', { server: 'EX01' }), defaultInstall('2016', { server: 'EX02', ipAddress: '10.0.0.12' }), oldRelay, oldAce, newRelay, newAce);
    const policy = buildPolicy(snap);
    const doc = diffServers({ policy, server: 'EX01' }, { policy, server: 'EX02' });
    assert.equal(doc.intervals.length, 1);
    const change = doc.intervals[0];
    assert.ok(change);
    assert.deepEqual([change.port, change.first, change.last], [25, '10.1.0.128', '10.1.0.255']);
    assert.equal(change.before?.connector, 'EX01\\Relay EX01');
    assert.equal(change.after?.connector, 'EX02\\Default Frontend EX02');
    assert.ok(change.changes.includes('anonymousRelay'));
    assert.equal(doc.connectorsChanged.length, 1);
    assert.deepEqual(doc.connectorsChanged[0]?.differences.map((d) => d.field), ['remoteIPRanges']);
    assert.match(renderDiffText(doc), /port 25 10\.1\.0\.128-10\.1\.0\.255: EX01\\Relay EX01 \[anonymous relay\] -> EX02\\Default Frontend EX02/);
  });

  it('reports a permission entry present on one side only, and a connector missing on the other', () => {
    const a = estate(defaultInstall('2016'), permission({ identity: 'EX01\\Default Frontend EX01', user: 'CORP\\svc-app', extendedRights: ['ms-Exch-SMTP-Accept-Any-Sender'] }));
    const b = estate(defaultInstall('2016'), connector({ identity: 'EX01\\Apps EX01', bindings: [{ address: '0.0.0.0', port: 2526 }], remoteIPRanges: [range('10.5.0.1')] }));
    const doc = diffServers({ policy: buildPolicy(a), server: 'EX01' }, { policy: buildPolicy(b), server: 'EX01' });
    assert.deepEqual(doc.permissionsOnlyBefore.map((p) => p.user), ['CORP\\svc-app']);
    assert.deepEqual(doc.connectorsOnlyAfter, ['EX01\\Apps EX01']);
    // The new connector answers port 2526 for 10.5.0.1, where nothing listened before.
    assert.ok(doc.intervals.some((i) => i.port === 2526 && i.first === '10.5.0.1' && i.before === null));
  });
});
