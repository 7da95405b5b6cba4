import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { InputError } from '../../src/errors.js';
import type { ReceiveConnector, Snapshot } from '../../src/model.js';
import { applyScript, type ApplyResult } from '../../src/apply/apply.js';
import { normaliseCommaLists } from '../../src/apply/normalise.js';

const BASE = JSON.parse(readFileSync(new URL('../../fixtures/apply/ex16.snapshot.json', import.meta.url), 'utf8')) as Snapshot;
const ANON = 'NT AUTHORITY\\ANONYMOUS LOGON';

const run = (script: string, snapshot: Snapshot = BASE, skipUnknown = false): Promise<ApplyResult> =>
  applyScript(snapshot, script, { file: 'change.ps1', skipUnknown });

const conn = (r: ApplyResult, name: string): ReceiveConnector => {
  const c = r.snapshot.connectors.find((x) => x.name === name);
  assert.ok(c !== undefined, `connector ${name}`);
  return c;
};

/** Asserts the script is refused with exit-2 input error at `line`, message matching `pattern`. */
async function refused(script: string, line: number, pattern: RegExp, snapshot: Snapshot = BASE): Promise<void> {
  await assert.rejects(run(script, snapshot), (e: unknown) => {
    assert.ok(e instanceof InputError, String(e));
    assert.equal(e.file, 'change.ps1');
    assert.equal(e.line, line, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

const NEW_RELAY = "New-ReceiveConnector -Name 'Relay' -Server EX16 -TransportRole FrontendTransport -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 10.1.1.0/24";

test('New-ReceiveConnector with Microsoft\'s relay example, then the anonymous relay right through a pipeline', async () => {
  const r = await run([
    NEW_RELAY + ' -PermissionGroups AnonymousUsers',
    "Get-ReceiveConnector 'EX16\\Relay' | Add-ADPermission -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient'",
  ].join('\n'));
  const c = conn(r, 'Relay');
  assert.equal(c.transportRole, 'FrontendTransport');
  assert.deepEqual(c.bindings, [{ address: '0.0.0.0', port: 25 }]);
  assert.deepEqual(c.remoteIPRanges, [{ expression: '10.1.1.0/24', first: '10.1.1.0', last: '10.1.1.255' }]);
  // The group stays a group; the explicit entry is listed and Exchange now shows Custom (§2.3).
  assert.deepEqual(c.permissionGroups, ['AnonymousUsers', 'Custom']);
  assert.deepEqual(r.snapshot.permissions, [{ identity: 'EX16\\Relay', user: ANON, deny: false, inherited: false, extendedRights: ['ms-Exch-SMTP-Accept-Any-Recipient'] }]);
  assert.equal(r.changed, 2);
});

test('Microsoft\'s two documented anonymous-relay recipes apply as written', async () => {
  const text = readFileSync(new URL('../../fixtures/apply/anonymous-relay-docs.ps1', import.meta.url), 'utf8');
  const r = await run(text);
  const anon = conn(r, 'Anonymous Relay');
  assert.deepEqual(anon.remoteIPRanges.map((x) => x.expression), ['192.168.5.10', '192.168.5.11']);
  assert.deepEqual(anon.permissionGroups, ['AnonymousUsers', 'Custom']);
  assert.deepEqual(r.snapshot.permissions.map((p) => [p.identity, p.extendedRights[0]]), [['EX16\\Anonymous Relay', 'ms-Exch-SMTP-Accept-Any-Recipient']]);
  const secured = conn(r, 'Secured Relay');
  assert.deepEqual([secured.authMechanism, secured.permissionGroups], [['ExternalAuthoritative'], ['ExchangeServers']]);
  assert.equal(r.changed, 5);
});

test('usage templates set groups, auth and defaults (reference §1.7)', async () => {
  const r = await run([
    "New-ReceiveConnector 'Internet In' -Server EX16 -TransportRole FrontendTransport -Internet -Bindings '10.0.0.16:25'",
    "New-ReceiveConnector -Name 'Partners' -Server EX16 -TransportRole FrontendTransport -Usage Partner -Bindings 0.0.0.0:2527 -RemoteIPRanges 203.0.113.0/28",
    "New-ReceiveConnector -Name 'Internal' -Server EX16 -Usage Internal -RemoteIPRanges 10.9.0.0/16 -TransportRole FrontendTransport",
  ].join('\n'));
  assert.deepEqual([conn(r, 'Internet In').permissionGroups, conn(r, 'Internet In').remoteIPRanges.map((x) => x.expression)], [['AnonymousUsers'], ['0.0.0.0-255.255.255.255']]);
  assert.deepEqual([conn(r, 'Partners').permissionGroups, conn(r, 'Partners').authMechanism], [['Partners'], ['Tls']]);
  assert.deepEqual([conn(r, 'Internal').permissionGroups, conn(r, 'Internal').authMechanism, conn(r, 'Internal').bindings], [['ExchangeServers', 'ExchangeLegacyServers'], ['Tls', 'ExchangeServer'], [{ address: '0.0.0.0', port: 25 }]]);
});

test('UNSURE(reference): a new 2013+ connector without -TransportRole is HubTransport', async () => {
  const r = await run("New-ReceiveConnector -Name 'NoRole' -Server EX16 -Custom -Bindings 0.0.0.0:2600 -RemoteIPRanges 10.0.0.1");
  assert.equal(conn(r, 'NoRole').transportRole, 'HubTransport');
});

test('-RemoteIPRanges @{Add=…; Remove=…} edits, a plain list replaces (reference §5.3)', async () => {
  const r1 = await run(`${NEW_RELAY}\nSet-ReceiveConnector 'EX16\\Relay' -RemoteIPRanges @{Add='10.2.0.0/16','2001:db8::5'; Remove='10.1.1.0/24'}`);
  assert.deepEqual(conn(r1, 'Relay').remoteIPRanges.map((x) => x.expression), ['10.2.0.0/16', '2001:db8::5']);
  const r2 = await run(`${NEW_RELAY}\nSet-ReceiveConnector Relay -RemoteIPRanges 10.3.0.1-10.3.0.9, '10.4.0.0(255.255.255.0)'`);
  assert.deepEqual(conn(r2, 'Relay').remoteIPRanges, [
    { expression: '10.3.0.1-10.3.0.9', first: '10.3.0.1', last: '10.3.0.9' },
    { expression: '10.4.0.0(255.255.255.0)', first: '10.4.0.0', last: '10.4.0.255' },
  ]);
  const r3 = await run(`${NEW_RELAY}\nSet-ReceiveConnector Relay -Bindings @{Add='[::]:25'}`);
  assert.deepEqual(conn(r3, 'Relay').bindings, [{ address: '0.0.0.0', port: 25 }, { address: '::', port: 25 }]);
});

test('the grammar\'s rejection of unquoted comma lists is normalised before parsing', async () => {
  const script = [
    NEW_RELAY,
    'Set-ReceiveConnector EX16\\Relay -AuthMechanism Tls,BasicAuth,BasicAuthRequireTLS -PermissionGroups AnonymousUsers,ExchangeServers',
    'Set-ReceiveConnector EX16\\Relay -RemoteIPRanges 10.1.1.0/24,10.5.5.5,10.6.0.0-10.6.0.255',
    'Set-ReceiveConnector EX16\\Relay -Bindings 0.0.0.0:25,[::]:25',
    'Set-ReceiveConnector EX16\\Relay -Banner "220 a,b" -Comment \'x,y\'  # a,b in strings stays',
  ].join('\n');
  const r = await run(script);
  const c = conn(r, 'Relay');
  assert.deepEqual(c.authMechanism, ['Tls', 'BasicAuth', 'BasicAuthRequireTLS']);
  assert.deepEqual(c.permissionGroups, ['AnonymousUsers', 'ExchangeServers']);
  assert.deepEqual(c.remoteIPRanges.map((x) => x.expression), ['10.1.1.0/24', '10.5.5.5', '10.6.0.0-10.6.0.255']);
  assert.deepEqual(c.bindings.map((b) => b.address), ['0.0.0.0', '::']);
  assert.equal(c.banner, '220 a,b');
  assert.equal(c.extra?.['Comment'], 'x,y');
});

test('normaliseCommaLists leaves strings, comments and here-strings alone and keeps line numbers', () => {
  const text = "# -A x,y\n$s = '-A x,y'\n$h = @'\n-A x,y\n'@\nSet-X -A x, y -B:p,q\n";
  assert.equal(normaliseCommaLists('Set-X -Bindings [::]:25 -B 1\n').text, "Set-X -Bindings '[::]:25' -B 1\n");
  const out = normaliseCommaLists(text);
  assert.equal(out.text, "# -A x,y\n$s = '-A x,y'\n$h = @'\n-A x,y\n'@\nSet-X -A 'x','y' -B:'p','q'\n");
  assert.deepEqual(out.rewrittenLines, [6]);
});

test('Exchange\'s AuthMechanism rules (§3.2) are refused with the statement\'s line', async () => {
  await refused(`${NEW_RELAY}\n\nSet-ReceiveConnector EX16\\Relay -AuthMechanism 'Tls','BasicAuthRequireTLS'`, 3, /BasicAuthRequireTLS needs both BasicAuth and Tls/);
  await refused(`${NEW_RELAY}\nSet-ReceiveConnector EX16\\Relay -AuthMechanism BasicAuth -RequireTLS $true`, 2, /RequireTLS \$true needs Tls/);
  await refused(`${NEW_RELAY}\nSet-ReceiveConnector EX16\\Relay -AuthMechanism Tls,ExternalAuthoritative`, 2, /ExternalAuthoritative needs ExchangeServers/);
  await refused(`${NEW_RELAY}\nSet-ReceiveConnector EX16\\Relay -PermissionGroups ExchangeServers -AuthMechanism ExternalAuthoritative,BasicAuth`, 2, /only be combined with Tls/);
  await refused(`${NEW_RELAY}\nSet-ReceiveConnector EX16\\Relay -AuthMechanism None,Tls`, 2, /None cannot be combined/);
  await refused(`${NEW_RELAY}\nSet-ReceiveConnector EX16\\Relay -Banner 'Welcome'`, 2, /code 220/);
  // Externally secured is accepted with ExchangeServers (reference §2.5 method B).
  const ok = await run(`${NEW_RELAY}\nSet-ReceiveConnector EX16\\Relay -PermissionGroups ExchangeServers -AuthMechanism Tls,ExternalAuthoritative`);
  assert.deepEqual(conn(ok, 'Relay').authMechanism, ['Tls', 'ExternalAuthoritative']);
});

test('binding and range conflicts (§4.4) are refused with the statement\'s line', async () => {
  const second = (ranges: string, binding = '0.0.0.0:25', role = 'FrontendTransport'): string =>
    `${NEW_RELAY}\nNew-ReceiveConnector -Name B -Server EX16 -TransportRole ${role} -Custom -Bindings ${binding} -RemoteIPRanges ${ranges}`;
  await refused(second('10.1.1.128-10.1.2.10'), 2, /partially overlapping/);
  await refused(second('10.1.1.0/24'), 2, /equal ranges on the same binding/);
  await refused(second('10.9.0.0/16', '0.0.0.0:25', 'HubTransport'), 2, /belongs to the FrontendTransport role/);
  // Nested and disjoint ranges are fine; equal ranges only through the wildcard are fine.
  const ok = await run(`${second('10.1.1.5')}\nNew-ReceiveConnector -Name C -Server EX16 -TransportRole FrontendTransport -Custom -Bindings 10.0.0.16:25 -RemoteIPRanges 10.1.1.0/24`);
  assert.equal(ok.snapshot.connectors.filter((c) => ['Relay', 'B', 'C'].includes(c.name)).length, 3);
  // Disabled connectors still count (§4.4).
  await refused(`${NEW_RELAY}\nSet-ReceiveConnector Relay -Enabled $false\nNew-ReceiveConnector -Name B -Server EX16 -TransportRole FrontendTransport -Custom -Bindings 0.0.0.0:25 -RemoteIPRanges 10.1.1.0/24`, 3, /equal ranges/);
});

test('unknown statements exit 2 naming their line, or are skipped with --skip-unknown', async () => {
  await refused(`${NEW_RELAY}\n\nStart-Process calc.exe\n`, 3, /cannot interpret this statement .*Start-Process/);
  await refused(`${NEW_RELAY}\nwhile ($true) { Write-Host 'x' }`, 2, /unsupported while statement/);
  await refused(`${NEW_RELAY}\nSet-ReceiveConnector Relay -Banner "220 $(hostname)"`, 2, /hostname is not a command the dry run knows/);
  const r = await run(`${NEW_RELAY}\nStart-Process calc.exe\nSet-ReceiveConnector Relay -Banner '220 ok'`, BASE, true);
  assert.equal(conn(r, 'Relay').banner, '220 ok');
  assert.deepEqual(r.events.filter((e) => e.kind === 'skipped').map((e) => e.line), [2]);
});

test('unknown parameters and missing objects are errors with their line', async () => {
  await refused(`${NEW_RELAY}\nSet-ReceiveConnector Relay -Colour blue`, 2, /cannot be found that matches parameter name 'Colour'/);
  await refused("Set-ReceiveConnector 'EX16\\Nope' -Enabled $false", 1, /couldn't find receive connector/);
  await refused("Remove-ReceiveConnector 'EX16\\Nope' -Confirm:$false", 1, /couldn't find/);
  // A bare name that matches connectors on two servers is ambiguous, also inside a guard.
  const two = structuredClone(BASE);
  two.connectors.push({ ...structuredClone(two.connectors[0]!), identity: 'EX17\\Default Frontend EX16', server: 'EX17' });
  await refused("\nif (Get-ReceiveConnector 'Default Frontend EX16') { Write-Host x }", 2, /matches connectors on several servers/, two);
  // -ErrorAction SilentlyContinue silences it, as in PowerShell.
  const r = await run("Remove-ReceiveConnector 'EX16\\Nope' -ErrorAction SilentlyContinue");
  assert.equal(r.events[0]?.kind, 'suppressed');
});

test('variables assigned from literals, -WhatIf and guards', async () => {
  const r = await run([
    "$server = 'EX16'",
    '$ranges = @("10.8.0.0/16", "10.9.0.1")',
    '$size = 50MB',
    'New-ReceiveConnector -Name "Apps $server" -Server $server -TransportRole FrontendTransport -Custom -Bindings 0.0.0.0:2526 -RemoteIPRanges $ranges -MaxMessageSize $size',
    "Set-ReceiveConnector \"$server\\Apps $server\" -Banner '220 should not happen' -WhatIf",
    "if (-not (Get-ReceiveConnector -Identity 'EX16\\Apps EX16' -ErrorAction SilentlyContinue)) { Remove-ReceiveConnector 'EX16\\Default Frontend EX16' }",
    "if (Get-ReceiveConnector 'EX16\\Apps EX16') { Set-ReceiveConnector 'EX16\\Apps EX16' -ProtocolLoggingLevel Verbose } else { Remove-ReceiveConnector 'EX16\\Default Frontend EX16' }",
  ].join('\n'));
  const c = conn(r, 'Apps EX16');
  assert.deepEqual(c.remoteIPRanges.map((x) => x.expression), ['10.8.0.0/16', '10.9.0.1']);
  assert.equal(c.maxMessageSize, 50 * 1024 * 1024);
  assert.equal(c.banner, null);
  assert.equal(c.protocolLoggingLevel, 'Verbose');
  assert.ok(r.snapshot.connectors.some((x) => x.name === 'Default Frontend EX16'));
  assert.deepEqual(r.events.find((e) => e.kind === 'whatif')?.line, 5);
});

test('Remove-ADPermission of a right a group wrote: the group goes, its other entries stay (§2.3)', async () => {
  const r = await run("Remove-ADPermission -Identity 'EX16\\Default Frontend EX16' -User 'NT AUTHORITY\\ANONYMOUS LOGON' -ExtendedRights ms-Exch-SMTP-Accept-Authoritative-Domain-Sender -Confirm:$false");
  const df = conn(r, 'Default Frontend EX16');
  assert.deepEqual(df.permissionGroups, ['ExchangeServers', 'ExchangeLegacyServers', 'Custom']);
  const anon = r.snapshot.permissions.filter((p) => p.user === ANON).map((p) => p.extendedRights[0]).sort();
  assert.deepEqual(anon, ['ms-Exch-Accept-Headers-Routing', 'ms-Exch-SMTP-Accept-Any-Sender', 'ms-Exch-SMTP-Submit']);
});

test('Remove-ADPermission removes a matching explicit entry; a missing one is an error', async () => {
  const add = "Get-ReceiveConnector Relay | Add-ADPermission -User 'CORP\\svc-app' -ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient,ms-Exch-Bypass-Anti-Spam";
  const r = await run(`${NEW_RELAY}\n${add}\nGet-ReceiveConnector Relay | Remove-ADPermission -User 'corp\\SVC-APP' -ExtendedRights ms-Exch-Bypass-Anti-Spam -Confirm:$false`);
  assert.deepEqual(r.snapshot.permissions.map((p) => [p.user, p.extendedRights]), [['CORP\\svc-app', ['ms-Exch-SMTP-Accept-Any-Recipient']]]);
  assert.deepEqual(conn(r, 'Relay').permissionGroups, ['Custom']);
  await refused(`${NEW_RELAY}\nRemove-ADPermission -Identity Relay -User 'CORP\\x' -ExtendedRights ms-Exch-SMTP-Submit -Deny`, 2, /no Deny entry/);
  // Deny entries are entries of their own.
  const d = await run(`${NEW_RELAY}\nAdd-ADPermission Relay -User '${ANON}' -ExtendedRights ms-Exch-SMTP-Accept-Any-Sender -Deny`);
  assert.deepEqual(d.snapshot.permissions.map((p) => p.deny), [true]);
});

test('Set -PermissionGroups rewrites group entries and keeps other principals\' entries (§2.3)', async () => {
  const snap = structuredClone(BASE);
  snap.permissions.push(
    { identity: 'EX16\\Default Frontend EX16', user: ANON, deny: false, inherited: false, extendedRights: ['ms-Exch-SMTP-Submit'] },
    { identity: 'EX16\\Default Frontend EX16', user: 'CORP\\svc-app', deny: false, inherited: false, extendedRights: ['ms-Exch-SMTP-Accept-Any-Recipient'] },
  );
  const r = await run("Set-ReceiveConnector 'EX16\\Default Frontend EX16' -PermissionGroups ExchangeServers", snap);
  assert.deepEqual(conn(r, 'Default Frontend EX16').permissionGroups, ['ExchangeServers', 'Custom']);
  assert.deepEqual(r.snapshot.permissions.map((p) => p.user), ['CORP\\svc-app']);
});

test('pipelines over several connectors, renames, and rights written in any case', async () => {
  const r = await run([
    'Get-ReceiveConnector -Server EX16 | Set-ReceiveConnector -ProtocolLoggingLevel Verbose',
    "Set-ReceiveConnector 'EX16\\Client Frontend EX16' -Name 'Client FE'",
    "Get-ReceiveConnector 'EX16\\Client FE' | Add-ADPermission -User 'CORP\\svc-app' -ExtendedRights MS-EXCH-SMTP-ACCEPT-ANY-RECIPIENT",
  ].join('\n'));
  assert.ok(r.snapshot.connectors.every((c) => c.protocolLoggingLevel === 'Verbose'));
  assert.equal(conn(r, 'Client FE').identity, 'EX16\\Client FE');
  assert.deepEqual(r.snapshot.permissions.map((p) => [p.identity, p.extendedRights]), [['EX16\\Client FE', ['ms-Exch-SMTP-Accept-Any-Recipient']]]);
  await refused('$ranges = Get-Content ranges.txt', 1, /Get-Content is not a command the dry run knows/);
});

test('Remove-ReceiveConnector takes the connector\'s ACL with it', async () => {
  const r = await run(`${NEW_RELAY}\nAdd-ADPermission Relay -User '${ANON}' -ExtendedRights ms-Exch-SMTP-Accept-Any-Recipient\nRemove-ReceiveConnector EX16\\Relay -Confirm:$false`);
  assert.equal(r.snapshot.connectors.some((c) => c.name === 'Relay'), false);
  assert.deepEqual(r.snapshot.permissions, []);
});

test('accepted domains: New-, Set- and Remove-AcceptedDomain', async () => {
  const r = await run([
    "New-AcceptedDomain -Name 'Partner relay' -DomainName partner.example -DomainType InternalRelay",
    "New-AcceptedDomain -Name Star -DomainName '*' -DomainType ExternalRelay",
    "Set-AcceptedDomain 'Partner relay' -DomainType ExternalRelay -MakeDefault $true",
    'Remove-AcceptedDomain Star -Confirm:$false',
  ].join('\n'));
  assert.deepEqual(r.snapshot.acceptedDomains.map((d) => [d.domainName, d.domainType, d.default]), [
    ['corp.example', 'Authoritative', false],
    ['partner.example', 'ExternalRelay', true],
  ]);
  await refused("New-AcceptedDomain -Name Star -DomainName '*' -DomainType Authoritative", 1, /relay domain/);
  await refused('Remove-AcceptedDomain corp.example', 1, /default accepted domain/);
});

test('a syntax error the grammar cannot recover from names its line', async () => {
  await refused(`${NEW_RELAY}\nif ($x { Set-ReceiveConnector Relay -Enabled $false }`, 2, /syntax error/);
});

test('the same script twice: the second run changes nothing', async () => {
  const script = [
    "if (-not (Get-ReceiveConnector -Identity 'EX16\\Relay' -ErrorAction SilentlyContinue)) {",
    `    ${NEW_RELAY}`,
    '}',
    "Set-ReceiveConnector 'EX16\\Relay' -Banner '220 relay' -RemoteIPRanges @{Add='10.1.2.0/24'}",
    "if (-not (Test-ExrelayPermission -Identity 'EX16\\Relay' -User '" + ANON + "' -ExtendedRight 'ms-Exch-SMTP-Accept-Any-Recipient')) {",
    "    Get-ReceiveConnector 'EX16\\Relay' | Add-ADPermission -User '" + ANON + "' -ExtendedRights 'ms-Exch-SMTP-Accept-Any-Recipient'",
    '}',
  ].join('\n');
  const first = await run(script);
  assert.equal(first.changed, 3);
  const second = await run(script, first.snapshot);
  assert.equal(second.changed, 0);
  assert.deepEqual(second.snapshot, first.snapshot);
});

test('an imported accepted domain is found by its Name as the importer keeps it (extra.Name), as Exchange finds it', async () => {
  const imported: Snapshot = { ...BASE, acceptedDomains: [...BASE.acceptedDomains,
    { domainName: '*', domainType: 'ExternalRelay', default: false, extra: { Name: 'Everything' } }] };
  const r = await run('Remove-AcceptedDomain -Identity Everything -Confirm:$false -ErrorAction Stop', imported);
  assert.deepEqual(r.snapshot.acceptedDomains.map((d) => d.domainName), BASE.acceptedDomains.map((d) => d.domainName));
  await refused('Remove-AcceptedDomain -Identity Nothing', 1, /couldn't find accepted domain "Nothing"/, imported);
});
