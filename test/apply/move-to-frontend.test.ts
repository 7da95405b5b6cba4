// Moving a hub relay connector to Front End Transport (the hub-transport-relay-connector fix):
// Exchange refuses a Front End connector on the bindings of a hub connector of the same server
// (reference §4.4 rule 2), so the hub one must go first; its ACL goes with it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { InputError } from '../../src/errors.js';
import { applyScript } from '../../src/apply/apply.js';
import { anonymousRelay, defaults, estate, range } from '../helpers/build.js';

const snapshot = estate(defaults.exchange2016(), anonymousRelay({ identity: 'EX01\\Relay', transportRole: 'HubTransport', remoteIPRanges: [range('10.1.1.0/24')], bindings: [{ address: '0.0.0.0', port: 2526 }] }));
const REMOVE = "Remove-ReceiveConnector -Identity 'EX01\\Relay' -Confirm:$false -ErrorAction Stop";
const NEW = "New-ReceiveConnector -Name 'Relay' -Server 'EX01' -TransportRole FrontendTransport -Custom -Bindings '0.0.0.0:2526' -RemoteIPRanges '10.1.1.0/24' -PermissionGroups 'AnonymousUsers' -AuthMechanism 'Tls' -ErrorAction Stop";
const GRANT = "Add-ADPermission -Identity 'EX01\\Relay' -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient' -ErrorAction Stop";

test('refused as Exchange would: a Front End connector beside the hub one on the same binding (role conflict), also under another name', async () => {
  for (const script of [NEW.replace("-Name 'Relay'", "-Name 'Relay FE'"), NEW]) {
    await assert.rejects(applyScript(snapshot, script, { file: 'move.ps1' }), (e: unknown) => {
      assert.ok(e instanceof InputError, String(e));
      assert.equal(e.line, 1);
      assert.match(e.message, /already exists|belongs to the HubTransport role/);
      return true;
    });
  }
});

test('remove, recreate on Front End, grant again: the connector keeps its identity, bindings and ranges in the other role, with its right', async () => {
  const r = await applyScript(snapshot, [REMOVE, NEW, GRANT].join('\n'), { file: 'move.ps1' });
  const moved = r.snapshot.connectors.filter((c) => c.identity === 'EX01\\Relay');
  assert.equal(moved.length, 1);
  assert.equal(moved[0]?.transportRole, 'FrontendTransport');
  assert.deepEqual(moved[0]?.bindings, [{ address: '0.0.0.0', port: 2526 }]);
  assert.deepEqual(moved[0]?.remoteIPRanges.map((x) => x.expression), ['10.1.1.0/24']);
  assert.deepEqual(r.snapshot.permissions.filter((p) => p.identity === 'EX01\\Relay').map((p) => p.extendedRights), [['ms-Exch-SMTP-Accept-Any-Recipient']]);
  assert.equal(r.changed, 3);
});

test('removing the hub connector takes its explicit rights with it (granting them again is needed)', async () => {
  const r = await applyScript(snapshot, [REMOVE, NEW].join('\n'), { file: 'move.ps1' });
  assert.deepEqual(r.snapshot.permissions.filter((p) => p.identity === 'EX01\\Relay'), []);
});
