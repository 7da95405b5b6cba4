// canRelayAnonymously decides from the group ACEs and AD entries of the two rights alone,
// without building the effective rights: on random connectors (any permission groups, Allow
// and Deny entries, explicit and inherited, rights in any case, GenericAll, entries for other
// principals and anonymous spelled in other ways) it must say what the effective rights say.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { ACCEPT_ANY_RECIPIENT, SMTP_SUBMIT, ACCEPT_ANY_SENDER, buildPolicy, canRelayAnonymously, effectiveRights } from '../../src/policy/index.js';
import { PERMISSION_GROUPS, type Permission, type ReceiveConnector } from '../../src/model.js';
import { prng } from '../../bench/lib/prng.js';
import { connector, perm, snapshot } from './helpers.js';

const USERS = ['NT AUTHORITY\\ANONYMOUS LOGON', 'nt authority\\anonymous logon', 'ANONYMOUS LOGON', 'NT AUTHORITY\\Authenticated Users', 'CORP\\relay-app', 'MS Exchange\\Partner Servers'];
const RIGHTS = [ACCEPT_ANY_RECIPIENT, SMTP_SUBMIT, ACCEPT_ANY_SENDER, ACCEPT_ANY_RECIPIENT.toUpperCase(), SMTP_SUBMIT.toLowerCase(), 'ms-Exch-SMTP-Accept-Any-Recipient '];

function pick<T>(rnd: () => number, list: readonly T[]): T {
  return list[Math.floor(rnd() * list.length)] as T;
}

/** What the effective rights say: anonymous holds Accept-Any-Recipient and Submit on an enabled connector. */
function plainAnswer(policy: ReturnType<typeof buildPolicy>, c: ReceiveConnector): boolean {
  const allowed = new Set(effectiveRights(policy, c, 'anonymous').filter((r) => r.allowed).map((r) => r.right.toLowerCase()));
  return c.enabled && allowed.has(ACCEPT_ANY_RECIPIENT.toLowerCase()) && allowed.has(SMTP_SUBMIT.toLowerCase());
}

describe('canRelayAnonymously without the rights list', () => {
  it('says what the effective rights say on random connectors', () => {
    const rnd = prng(41);
    let relays = 0;
    let total = 0;
    for (let round = 0; round < 60; round++) {
      const connectors: ReceiveConnector[] = [];
      const permissions: Permission[] = [];
      for (let k = 0; k < 30; k++) {
        const groups = PERMISSION_GROUPS.filter(() => rnd() < 0.25);
        const c = connector({ name: `C${k}`, permissionGroups: groups, enabled: rnd() < 0.9 });
        connectors.push(c);
        for (let e = Math.floor(rnd() * 6); e > 0; e--) {
          const rights = rnd() < 0.1 ? [] : Array.from({ length: 1 + Math.floor(rnd() * 2) }, () => pick(rnd, RIGHTS));
          const entry = perm(rnd() < 0.9 ? c.identity : c.identity.toLowerCase(), pick(rnd, USERS), rights, { deny: rnd() < 0.25, inherited: rnd() < 0.3 });
          if (rights.length === 0 && rnd() < 0.7) entry.extra = { AccessRights: pick(rnd, ['GenericAll', 'ExtendedRight', 'ReadProperty', 'ReadProperty, GenericAll']) };
          permissions.push(entry);
        }
      }
      const policy = buildPolicy(snapshot({ connectors, permissions }));
      for (const c of connectors) {
        const fast = canRelayAnonymously(policy, c);
        assert.equal(fast, plainAnswer(policy, c), `${c.identity} ${JSON.stringify(c.permissionGroups)}`);
        total++;
        if (fast) relays++;
      }
    }
    assert.ok(relays > 100 && relays < total - 100, `both answers occur (${relays} of ${total})`);
  });
});
