import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type { Snapshot } from '../../src/model.js';
import { UsageError } from '../../src/errors.js';
import {
  buildMigrationView, defaultConnectors, planMigration, renderMigration, renderRollback,
} from '../../src/emitters/powershell/migrate.js';
import { commandElements, commandName, commandNodes, parsePowerShell } from '../../src/powershell/grammar.js';

const load = (name: string): Snapshot => JSON.parse(readFileSync(new URL(`../../fixtures/migrate/${name}`, import.meta.url), 'utf8')) as Snapshot;
const estate = load('estate-2010-2016.snapshot.json');
const OPTIONS = { sourceServer: 'EX10', targetServer: 'EX16' };

function render(snapshot: Snapshot, options = OPTIONS): { migrate: string; rollback: string } {
  const view = buildMigrationView(planMigration(snapshot, options), options);
  return { migrate: renderMigration(view), rollback: renderRollback(view) };
}

test('built-in 2010 connectors map onto the target built-ins; custom ones become FrontendTransport', () => {
  const plan = planMigration(estate, { ...OPTIONS, mapAddress: { '10.0.0.10': '10.0.0.16' } });
  const pairs = plan.mappings.map((m) => [m.source.name, m.target.identity, m.builtIn, m.target.transportRole]);
  assert.deepEqual(pairs, [
    ['Default EX10', 'EX16\\Default Frontend EX16', true, 'FrontendTransport'],
    ['Client EX10', 'EX16\\Client Frontend EX16', true, 'FrontendTransport'],
    ['Relay EX10', 'EX16\\Relay EX16', false, 'FrontendTransport'],
    ['Partner Fabrikam EX10', 'EX16\\Partner Fabrikam EX16', false, 'FrontendTransport'],
    ['Scanner EX10', 'EX16\\Scanner EX16', false, 'FrontendTransport'],
    ['Apps EX10', 'EX16\\Apps EX16', false, 'FrontendTransport'],
    ['Bulk EX10', 'EX16\\Bulk EX16', false, 'FrontendTransport'],
  ]);
  // The 2010 Default let authenticated users relay on 25; Default Frontend never gets ExchangeUsers.
  const df = plan.mappings[0]!;
  assert.deepEqual(df.changed, ['MaxMessageSize', 'MaxRecipientsPerMessage']);
  assert.deepEqual(df.target.permissionGroups, ['AnonymousUsers', 'ExchangeServers', 'ExchangeLegacyServers']);
  assert.ok(plan.untranslated.some((u) => u.includes('ExchangeUsers') && u.includes('Default Frontend EX16')));
  // Protocol logging is turned on for everything the script creates or touches.
  assert.ok(plan.mappings.every((m) => m.target.protocolLoggingLevel === 'Verbose'));
});

test('disabled connectors, inherited entries and the version difference are listed as not translated', () => {
  const plan = planMigration(estate, OPTIONS);
  assert.ok(plan.untranslated.some((u) => u.includes('Old EX10') && u.includes('disabled')));
  assert.ok(plan.untranslated.some((u) => u.startsWith('inherited AD permissions')));
  assert.ok(plan.untranslated.some((u) => u.includes('send-as')));
  const relay = plan.mappings.find((m) => m.source.name === 'Relay EX10')!;
  // Allow and Deny entries, no inherited one.
  assert.deepEqual(relay.permissions.map((p) => [p.user, p.deny, p.extendedRights]), [
    ['NT AUTHORITY\\ANONYMOUS LOGON', false, ['ms-Exch-SMTP-Accept-Any-Recipient']],
    ['NT AUTHORITY\\ANONYMOUS LOGON', true, ['ms-Exch-SMTP-Accept-Any-Sender']],
  ]);
});

test('a specific-address binding needs --map-address: unmapped it is left out (never 0.0.0.0), mapped it binds the new address', () => {
  const unmapped = planMigration(estate, OPTIONS);
  assert.equal(unmapped.mappings.find((m) => m.source.name === 'Scanner EX10'), undefined);
  const left = unmapped.leftOut.find((l) => l.source === 'EX10\\Scanner EX10');
  assert.ok(left !== undefined && /binds 10\.0\.0\.10:25/.test(left.reason), JSON.stringify(unmapped.leftOut));
  assert.equal(left.carryWith, '--map-address 10.0.0.10=NEW');
  assert.ok(!unmapped.warnings.some((w) => /addresses are unknown/.test(w)));
  const mapped = planMigration(estate, { ...OPTIONS, mapAddress: { '10.0.0.10': '10.0.0.16' } });
  assert.deepEqual(mapped.mappings.find((m) => m.source.name === 'Scanner EX10')!.target.bindings, [{ address: '10.0.0.16', port: 25 }]);
  assert.deepEqual(mapped.leftOut, []);
});

test('a 2010 connector on a hub port: an anonymous relay is left out (hub-transport-relay-connector), anything else becomes HubTransport', () => {
  const snap = structuredClone(estate);
  const apps = snap.connectors.find((c) => c.name === 'Apps EX10')!;
  apps.bindings = [{ address: '0.0.0.0', port: 2525 }];
  const plan = planMigration(snap, OPTIONS);
  const appsIsRelay = snap.permissions.some((p) => p.identity === apps.identity && p.extendedRights.includes('ms-Exch-SMTP-Accept-Any-Recipient'));
  if (appsIsRelay) {
    assert.equal(plan.mappings.find((m) => m.source.name === 'Apps EX10'), undefined);
    assert.match(plan.leftOut.find((l) => l.source === apps.identity)!.carryWith ?? '', /hub-transport-relay-connector@/);
  } else {
    assert.equal(plan.mappings.find((m) => m.source.name === 'Apps EX10')!.target.transportRole, 'HubTransport');
  }
  // On a port the hub does not own it moves to the Front End on that port.
  const plan2 = planMigration(estate, OPTIONS);
  const apps2 = plan2.mappings.find((m) => m.source.name === 'Apps EX10')!;
  assert.equal(apps2.target.transportRole, 'FrontendTransport');
  assert.deepEqual(apps2.target.bindings, [{ address: '0.0.0.0', port: 2526 }]);
});

test('TlsCertificateName: written only when the target holds that certificate unexpired; a renewal replaces an expired one', () => {
  const snap = structuredClone(estate);
  const relay = snap.connectors.find((c) => c.name === 'Relay EX10')!;
  const now = new Date('2026-06-01T00:00:00Z');
  const tlsOf = (s: Snapshot) => planMigration(s, { ...OPTIONS, now }).mappings.find((m) => m.source.name === 'Relay EX10')!.target.tlsCertificateName;
  relay.tlsCertificateName = '<I>CN=Corp CA, DC=corp<S>CN=mail.corp.example';
  // Not among the target's certificates: not written, and said.
  assert.equal(tlsOf(snap), null);
  assert.ok(planMigration(snap, { ...OPTIONS, now }).warnings.some((w) => w.includes('not among the imported certificates')));
  // The same certificate on the target, expired, and its renewal: the renewal is written.
  snap.certificates.push({ thumbprint: 'OLD', subject: 'CN=mail.corp.example', issuer: 'CN=Corp CA, DC=corp', notAfter: '2025-01-01T00:00:00Z', dnsNames: ['mail.corp.example'], services: ['SMTP'], server: 'EX16' });
  assert.equal(tlsOf(snap), null);
  snap.certificates.push({ thumbprint: 'NEW', subject: 'CN=mail.corp.example, O=Corp', issuer: 'CN=Corp Issuing CA 2', notAfter: '2028-01-01T00:00:00Z', dnsNames: ['mail.corp.example'], services: ['SMTP'], server: 'EX16' });
  assert.equal(tlsOf(snap), '<I>CN=Corp Issuing CA 2<S>CN=mail.corp.example, O=Corp');
  // The certificate itself valid on the target: kept as it is.
  snap.certificates.push({ thumbprint: 'SAME', subject: 'CN=mail.corp.example', issuer: 'CN=Corp CA, DC=corp', notAfter: '2029-01-01T00:00:00Z', dnsNames: ['mail.corp.example'], services: ['SMTP'], server: 'EX16' });
  assert.equal(tlsOf(snap), '<I>CN=Corp CA, DC=corp<S>CN=mail.corp.example');
  // The source server's own (self-signed) certificate is never written for the target.
  relay.tlsCertificateName = '<I>CN=EX10<S>CN=EX10';
  snap.certificates.push({ thumbprint: 'SELF', subject: 'CN=EX10', issuer: 'CN=EX10', notAfter: '2029-01-01T00:00:00Z', dnsNames: ['EX10'], services: ['SMTP'], server: 'EX10' });
  assert.equal(tlsOf(snap), null);
});

test('a new connector is created disabled with every range in one command, read back, then enabled', async () => {
  const { migrate } = render(estate);
  const { tree, errors } = await parsePowerShell(migrate.slice(1));
  assert.deepEqual(errors, []);
  const bulk = commandNodes(tree.rootNode).filter((c) => c.text.includes("'EX16\\Bulk EX16'") || c.text.includes("-Name 'Bulk EX16'"));
  const create = bulk.find((c) => commandName(c) === 'New-ReceiveConnector')!;
  assert.equal((create.text.match(/'10\.200\./g) ?? []).length, 250);
  assert.match(create.text, /-Enabled \$false/);
  const order = bulk.map((c) => commandName(c));
  const enable = bulk.findIndex((c) => /-Enabled \$true/.test(c.text));
  const lastAssert = order.lastIndexOf('Assert-ExrelayConnector');
  assert.ok(order.indexOf('New-ReceiveConnector') < lastAssert && lastAssert < enable, order.join(' '));
});

test('every mutating command passes -WhatIf:$WhatIf, and the script declares the switch', async () => {
  for (const script of Object.values(render(estate))) {
    const { tree } = await parsePowerShell(script.slice(1));
    assert.match(script, /param\(\s*#[^\n]*\n\s*\[switch\]\$WhatIf\s*\)/);
    const mutating = commandNodes(tree.rootNode).filter((c) => /^(New|Set|Remove|Add)-/.test(commandName(c)));
    assert.ok(mutating.length > 0);
    for (const c of mutating) {
      const hasWhatIf = commandElements(c).some((e) => e.kind === 'parameter' && e.name === 'WhatIf' && e.colon);
      assert.ok(hasWhatIf, `${commandName(c)} without -WhatIf: ${c.text.slice(0, 80)}`);
    }
  }
});

test('the scripts start with a UTF-8 BOM and keep non-ASCII as is', () => {
  const snap = structuredClone(estate);
  snap.connectors.find((c) => c.name === 'Relay EX10')!.banner = '220 Zürich relay';
  const { migrate, rollback } = render(snap);
  assert.equal(migrate.charCodeAt(0), 0xfeff);
  assert.equal(rollback.charCodeAt(0), 0xfeff);
  assert.ok(migrate.includes("'220 Zürich relay'"));
});

test('every emitted script parses without error: estate, hostile names, a target missing from the inputs, 2019', async () => {
  const noTarget = structuredClone(estate);
  noTarget.connectors = noTarget.connectors.filter((c) => c.server !== 'EX16');
  noTarget.servers = noTarget.servers.filter((s) => s.name !== 'EX16');
  const with2019 = structuredClone(estate);
  with2019.servers.push({ name: 'EX19', fqdn: 'ex19.corp.example', version: 'Version 15.2 (Build 1748.10)', roles: ['Mailbox'], ipAddresses: ['10.0.0.40'] });
  const cases: Array<[string, Snapshot, typeof OPTIONS & { targetVersion?: '2019' }]> = [
    ['estate', estate, OPTIONS],
    ['hostile', load('hostile.snapshot.json'), OPTIONS],
    ['no target', noTarget, OPTIONS],
    // From the 2016 server: a 2010 source cannot go to 2019 (refused, tested below).
    ['2019', with2019, { sourceServer: 'EX16', targetServer: 'EX19', targetVersion: '2019' }],
  ];
  for (const [name, snap, options] of cases) {
    for (const [which, script] of Object.entries(render(snap, options))) {
      const { errors } = await parsePowerShell(script.slice(1));
      assert.deepEqual(errors, [], `${name} ${which}`);
    }
  }
});

test('a target missing from the inputs is assumed to have setup\'s built-ins, and says so', () => {
  const snap = structuredClone(estate);
  snap.connectors = snap.connectors.filter((c) => c.server !== 'EX16');
  const plan = planMigration(snap, OPTIONS);
  assert.ok(plan.warnings.some((w) => w.includes('assuming the built-in connectors')));
  assert.equal(plan.mappings[0]!.before?.identity, 'EX16\\Default Frontend EX16');
  assert.deepEqual(defaultConnectors('EX16', null).map((c) => c.bindings[0]!.port), [25, 587, 717, 2525, 465]);
});

test('unknown or identical servers are bad usage', () => {
  assert.throws(() => planMigration(estate, { sourceServer: 'NOPE', targetServer: 'EX16' }), UsageError);
  assert.throws(() => planMigration(estate, { sourceServer: 'EX10', targetServer: 'ex10' }), UsageError);
  assert.throws(() => planMigration(estate, { sourceServer: 'EX16', targetServer: 'EX10' }), /2010/);
});

test('a NUL in a customer value is refused as bad input, never written', () => {
  const snap = structuredClone(estate);
  snap.connectors.find((c) => c.name === 'Relay EX10')!.banner = '220 a\u0000b';
  assert.throws(() => planMigration(snap, OPTIONS), (e: unknown) => e instanceof UsageError && /NUL/.test(e.message));
});

test('Subscription Edition: detected from the target\'s build, named in the header, refused straight from 2010', async () => {
  const snap = structuredClone(estate);
  snap.servers.push({ name: 'EXSE', fqdn: 'exse.corp.example', version: 'Version 15.2 (Build 2562.17)', roles: ['Mailbox'], ipAddresses: ['10.0.0.30'] });
  const options = { sourceServer: 'EX16', targetServer: 'EXSE' };
  const plan = planMigration(snap, options);
  assert.equal(plan.targetVersion, 'se');
  const { migrate } = render(snap, options);
  assert.match(migrate, /on EXSE \(Exchange Subscription Edition \(SE\)\)\./);
  assert.deepEqual((await parsePowerShell(migrate.slice(1))).errors, []);
  // 15.2 below build 2562 stays 2019.
  snap.servers.find((s) => s.name === 'EXSE')!.version = 'Version 15.2 (Build 1748.10)';
  assert.equal(planMigration(snap, options).targetVersion, '2019');
  assert.throws(() => planMigration(snap, { sourceServer: 'EX10', targetServer: 'EXSE', targetVersion: 'se' }),
    (e: unknown) => e instanceof UsageError && /EX10 is Exchange 2010, which cannot coexist with Exchange Server Subscription Edition: migrate it to an Exchange 2016 server first/.test(e.message));
});

test('2010 does not coexist with 2019 or SE: refused with the 2016 step; a 2016 source goes on; an unknown version is warned about, not refused', async () => {
  const snap = structuredClone(estate);
  snap.servers.push({ name: 'EX19', fqdn: 'ex19.corp.example', version: 'Version 15.2 (Build 1748.10)', roles: ['Mailbox'], ipAddresses: ['10.0.0.40'] });
  for (const targetVersion of ['2019', 'se'] as const) {
    assert.throws(() => planMigration(snap, { sourceServer: 'EX10', targetServer: 'EX19', targetVersion }),
      (e: unknown) => e instanceof UsageError && /^EX10 is Exchange 2010, which cannot coexist with Exchange (2019|Server Subscription Edition): migrate it to an Exchange 2016 server first \(--target-version 2016\)/.test(e.message));
  }
  // Detected from the target's build too (no --target-version).
  assert.throws(() => planMigration(snap, { sourceServer: 'EX10', targetServer: 'EX19' }), /cannot coexist with Exchange 2019/);
  // 2010 to 2016 is the supported step.
  assert.equal(planMigration(snap, { sourceServer: 'EX10', targetServer: 'EX16' }).targetVersion, '2016');
  // From the 2016 server, 2019 is fine and named in the header.
  const from2016 = planMigration(snap, { sourceServer: 'EX16', targetServer: 'EX19' });
  assert.equal(from2016.targetVersion, '2019');
  const { migrate } = render(snap, { sourceServer: 'EX16', targetServer: 'EX19' });
  assert.match(migrate, /on EX19 \(Exchange 2019\)/);
  assert.deepEqual((await parsePowerShell(migrate.slice(1))).errors, []);
  // The source's version not exported: 2010-shaped connectors (no TransportRole) give a warning naming the 2016 step, not a refusal.
  const unknown = structuredClone(snap);
  unknown.servers = unknown.servers.filter((s) => s.name !== 'EX10');
  const plan = planMigration(unknown, { sourceServer: 'EX10', targetServer: 'EX19' });
  assert.equal(plan.targetVersion, '2019');
  assert.ok(plan.warnings.some((w) => /EX10's version is not in the inputs.*if it is Exchange 2010, it cannot coexist with Exchange 2019: migrate it to an Exchange 2016 server first/.test(w)), plan.warnings.join('\n'));
});
