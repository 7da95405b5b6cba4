// fixtures/defaults/*.json are the untouched default installations other tests and tools load
// by path; they must stay equal to the builders in test/helpers/build.ts.
// UPDATE_GOLDEN=1 rewrites them from the builders (review the diff).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { stableStringify } from '../../src/json.js';
import { defaultInstall, type ExchangeVersion } from '../helpers/build.js';

const VERSIONS: ExchangeVersion[] = ['2010', '2013', '2016', '2019'];

describe('fixtures/defaults', () => {
  for (const version of VERSIONS) {
    it(`exchange-${version}.json equals the ${version} default-install builder`, () => {
      const file = new URL(`../../fixtures/defaults/exchange-${version}.json`, import.meta.url);
      const built = stableStringify(defaultInstall(version));
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, built);
      assert.equal(readFileSync(file, 'utf8'), built);
    });
  }

  it('every default install carries setup\'s ExchangeLegacyInterop Deny entries where the group is set', () => {
    for (const version of VERSIONS) {
      const snap = defaultInstall(version);
      const legacy = snap.connectors.filter((c) => c.permissionGroups.includes('ExchangeLegacyServers'));
      assert.ok(legacy.length > 0);
      for (const c of legacy) {
        const denies = snap.permissions.filter((p) => p.identity === c.identity && p.deny);
        assert.deepEqual(denies.map((p) => p.extendedRights[0]).sort(), ['ms-Exch-Accept-Headers-Forest', 'ms-Exch-Accept-Headers-Organization']);
        assert.ok(denies.every((p) => p.user === 'CORP\\ExchangeLegacyInterop'));
      }
    }
  });

  it('2013 and later have the five Mailbox connectors, 2010 the two Hub connectors', () => {
    assert.deepEqual(defaultInstall('2010').connectors.map((c) => c.name), ['Default EX01', 'Client EX01']);
    for (const v of ['2013', '2016', '2019'] as const) {
      assert.deepEqual(defaultInstall(v).connectors.map((c) => `${c.name}/${c.transportRole}/${c.bindings[0]?.port}`), [
        'Default EX01/HubTransport/2525', 'Client Proxy EX01/HubTransport/465', 'Default Frontend EX01/FrontendTransport/25',
        'Outbound Proxy Frontend EX01/FrontendTransport/717', 'Client Frontend EX01/FrontendTransport/587',
      ]);
    }
  });

  it('UNSURE(reference) §1.5: the pristine 2010 Default binds IPv4 port 25 only, 10 MB messages, and still audits clean', () => {
    const snap = defaultInstall('2010');
    const def = snap.connectors.find((c) => c.name === 'Default EX01');
    assert.deepEqual(def?.bindings, [{ address: '0.0.0.0', port: 25 }]);
    assert.equal(def?.maxMessageSize, 10485760);
    assert.deepEqual(def?.permissionGroups, ['ExchangeUsers', 'ExchangeServers', 'ExchangeLegacyServers']);
    assert.equal(def?.transportRole, null);
  });
});
