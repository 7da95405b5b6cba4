import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import {
  ACCEPT_ANY_RECIPIENT, ACCEPT_ANY_SENDER, ACCEPT_HEADERS_FOREST, SMTP_SUBMIT, buildPolicy, canRelayAnonymously, canonicalPrincipal,
  effectiveRights, hasRight, isExternallySecured, isRelayCapable, isSetupDeny, PERMISSION_GROUP_ACES, principalKey,
} from '../../src/policy/index.js';
import { connector, default2016, defaultFrontend, perm, relayConnector, setupDenies, snapshot } from './helpers.js';

const ANON = 'NT AUTHORITY\\ANONYMOUS LOGON';

describe('rights: permission groups (reference §2.1)', () => {
  it('the table cites the reference on every row', () => {
    for (const row of PERMISSION_GROUP_ACES) assert.match(row.cite, /reference §2\.1/);
  });

  it('AnonymousUsers alone never relays: a default Default Frontend is not an open relay', () => {
    const s = default2016();
    const df = s.connectors[0];
    assert.ok(df);
    const policy = buildPolicy(s);
    assert.ok(hasRight(policy, df, 'anonymous', SMTP_SUBMIT));
    assert.ok(hasRight(policy, df, 'anonymous', ACCEPT_ANY_SENDER));
    assert.ok(!hasRight(policy, df, 'anonymous', ACCEPT_ANY_RECIPIENT));
    assert.equal(canRelayAnonymously(policy, df), false);
    assert.equal(isRelayCapable(policy, df), false);
  });

  it('ExchangeUsers gives any authenticated account relay, by design', () => {
    const s = default2016();
    const client = s.connectors[1];
    assert.ok(client);
    const policy = buildPolicy(s);
    assert.ok(hasRight(policy, client, 'authenticatedUser', ACCEPT_ANY_RECIPIENT));
    assert.ok(hasRight(policy, client, { user: 'CORP\\svc-app' }, ACCEPT_ANY_RECIPIENT));
    assert.ok(!hasRight(policy, client, 'anonymous', SMTP_SUBMIT));
  });

  it('reports where each right comes from (group and AD entry)', () => {
    const relay = relayConnector('Relay', ['10.1.1.5']);
    const s = snapshot({ connectors: [relay], permissions: [perm(relay.identity, ANON, ['ms-Exch-SMTP-Accept-Any-Recipient'])] });
    const rights = effectiveRights(buildPolicy(s), relay, 'anonymous');
    const submit = rights.find((r) => r.right === SMTP_SUBMIT);
    assert.deepEqual(submit?.grantedBy, [{ kind: 'group', group: 'AnonymousUsers', principal: ANON }]);
    const any = rights.find((r) => r.right === ACCEPT_ANY_RECIPIENT);
    assert.deepEqual(any?.grantedBy, [{ kind: 'permission', user: ANON, deny: false, inherited: false }]);
    assert.equal(canRelayAnonymously(buildPolicy(s), relay), true);
  });

  it("setup's ExchangeLegacyInterop Deny entries change nothing for other principals", () => {
    const df = defaultFrontend();
    const withDenies = snapshot({ connectors: [df], permissions: setupDenies(df.identity) });
    const without = snapshot({ connectors: [df] });
    for (const who of ['anonymous', 'exchangeServer', 'externallySecured', 'authenticatedUser'] as const) {
      const a = effectiveRights(buildPolicy(withDenies), df, who).filter((r) => r.allowed).map((r) => r.right);
      const b = effectiveRights(buildPolicy(without), df, who).filter((r) => r.allowed).map((r) => r.right);
      assert.deepEqual(a, b, who);
    }
    // ...and for ExchangeLegacyInterop they deny exactly the two header rights (group denies too).
    const legacy = effectiveRights(buildPolicy(withDenies), df, 'legacyExchangeServer');
    assert.equal(legacy.find((r) => r.right === ACCEPT_HEADERS_FOREST)?.allowed, false);
    assert.ok(legacy.find((r) => r.right === SMTP_SUBMIT)?.allowed);
  });

  it('a filtered export (only Accept-Any-Recipient lines) still combines with the groups', () => {
    const relay = relayConnector('Relay', ['10.1.1.0/24']);
    const s = snapshot({ connectors: [relay], permissions: [perm(relay.identity, 'S-1-5-7', ['MS-EXCH-SMTP-ACCEPT-ANY-RECIPIENT'])] });
    assert.ok(canRelayAnonymously(buildPolicy(s), relay));
  });
});

describe('rights: Deny and Allow in Windows order (reference §2.4)', () => {
  const c = connector({ name: 'Relay', permissionGroups: ['AnonymousUsers'] });
  const rightsWith = (...entries: Array<{ deny: boolean; inherited: boolean }>) => {
    const s = snapshot({ connectors: [c], permissions: entries.map((e) => perm(c.identity, ANON, [ACCEPT_ANY_RECIPIENT], e)) });
    return hasRight(buildPolicy(s), c, 'anonymous', ACCEPT_ANY_RECIPIENT);
  };

  it('explicit Deny beats explicit Allow', () => {
    assert.equal(rightsWith({ deny: false, inherited: false }, { deny: true, inherited: false }), false);
  });
  it('explicit Allow beats inherited Deny', () => {
    assert.equal(rightsWith({ deny: true, inherited: true }, { deny: false, inherited: false }), true);
  });
  it('inherited Deny beats inherited Allow', () => {
    assert.equal(rightsWith({ deny: false, inherited: true }, { deny: true, inherited: true }), false);
  });
  it('inherited Allow alone grants', () => {
    assert.equal(rightsWith({ deny: false, inherited: true }), true);
  });
  it('explicit Deny beats a group-granted Allow', () => {
    const s = snapshot({ connectors: [c], permissions: [perm(c.identity, ANON, [SMTP_SUBMIT], { deny: true })] });
    const r = effectiveRights(buildPolicy(s), c, 'anonymous').find((x) => x.right === SMTP_SUBMIT);
    assert.equal(r?.allowed, false);
    assert.equal(r?.grantedBy.length, 1);
    assert.equal(r?.deniedBy.length, 1);
  });
  it('UNSURE(reference): Everyone entries do not apply to anonymous sessions', () => {
    const s = snapshot({ connectors: [c], permissions: [perm(c.identity, 'Everyone', [ACCEPT_ANY_RECIPIENT])] });
    assert.equal(hasRight(buildPolicy(s), c, 'anonymous', ACCEPT_ANY_RECIPIENT), false);
    assert.equal(hasRight(buildPolicy(s), c, { user: 'CORP\\bob' }, ACCEPT_ANY_RECIPIENT), true);
  });
});

describe('rights: externally secured and principals', () => {
  it('ExternalAuthoritative + ExchangeServers is externally secured relay', () => {
    const c = connector({ name: 'Secured', authMechanism: ['Tls', 'ExternalAuthoritative'], permissionGroups: ['ExchangeServers'] });
    const s = snapshot({ connectors: [c] });
    assert.ok(isExternallySecured(c));
    assert.ok(isRelayCapable(buildPolicy(s), c));
    assert.ok(hasRight(buildPolicy(s), c, 'externallySecured', ACCEPT_ANY_RECIPIENT));
    assert.ok(!isRelayCapable(buildPolicy(s), { ...c, enabled: false }));
    assert.ok(!isExternallySecured({ ...c, permissionGroups: [] }));
  });

  it('canonical principals: SIDs, localised names, domain-prefixed groups', () => {
    assert.equal(canonicalPrincipal('S-1-5-7'), ANON);
    assert.equal(canonicalPrincipal('nt authority\\anonymous logon'), ANON);
    assert.equal(canonicalPrincipal('NT-AUTORITÄT\\ANONYMOUS-ANMELDUNG'), ANON);
    assert.equal(canonicalPrincipal('AUTORITE NT\\Utilisateurs authentifiés'), 'NT AUTHORITY\\Authenticated Users');
    assert.equal(canonicalPrincipal('FABRIKAM\\exchange servers'), 'FABRIKAM\\Exchange Servers');
    assert.equal(principalKey('FABRIKAM\\Exchange Servers'), principalKey('CORP\\Exchange Servers'));
    assert.ok(isSetupDeny('CORP\\ExchangeLegacyInterop', 'ms-Exch-Accept-Headers-Forest'));
    assert.ok(!isSetupDeny('NT AUTHORITY\\ANONYMOUS LOGON', 'ms-Exch-Accept-Headers-Forest'));
    assert.equal(canonicalPrincipal('MS Exchange\\Externally Secured Servers'), 'MS Exchange\\Externally Secured Servers');
    assert.equal(canonicalPrincipal('CORP\\svc-app'), null);
  });
});

describe('rights: UNSURE(reference) §2.4 step 3', () => {
  it('UNSURE(reference): an Allow entry with GenericAll and no extended rights grants every right', () => {
    const c = connector({ name: 'Odd', permissionGroups: [] });
    const entry = { ...perm(c.identity, ANON, []), extra: { AccessRights: 'GenericAll' } };
    const s = snapshot({ connectors: [c], permissions: [entry] });
    assert.ok(hasRight(buildPolicy(s), c, 'anonymous', ACCEPT_ANY_RECIPIENT));
    const plain = snapshot({ connectors: [c], permissions: [perm(c.identity, ANON, [])] });
    assert.ok(!hasRight(buildPolicy(plain), c, 'anonymous', ACCEPT_ANY_RECIPIENT));
  });
});
