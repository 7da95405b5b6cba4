import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { captureIo } from '../../src/cli/io.js';
import { loadSnapshot } from '../../src/cli/load.js';
import { InputError } from '../../src/errors.js';
import { importSources } from '../../src/importers/index.js';
import { makeSourceText } from '../../src/source.js';
import { REPO_ROOT } from '../helpers/cli.js';

const csvConnector = (enabled: string, ranges: string) =>
  `"Identity","Enabled","Bindings","RemoteIPRanges","PermissionGroups","AuthMechanism","TransportRole"\n"EX01\\Relay","${enabled}","0.0.0.0:25","${ranges}","AnonymousUsers","Tls","FrontendTransport"\n`;

describe('merging inputs', () => {
  it('the same connector twice is one connector; identical copies give no warning', async () => {
    const { snapshot } = await importSources([makeSourceText('a.csv', csvConnector('True', '10.0.0.1')), makeSourceText('b.csv', csvConnector('True', '10.0.0.1'))]);
    assert.equal(snapshot.connectors.length, 1);
    assert.deepEqual(snapshot.warnings.filter((w) => /disagree/.test(w.message)), []);
  });

  it('copies that disagree give a warning naming both places and the fields', async () => {
    const { snapshot } = await importSources([makeSourceText('a.csv', csvConnector('True', '10.0.0.1')), makeSourceText('b.csv', csvConnector('False', '10.0.0.2'))]);
    assert.equal(snapshot.connectors.length, 1);
    const w = snapshot.warnings.find((x) => /disagree/.test(x.message));
    assert.ok(w);
    assert.match(w.message, /EX01\\Relay appears in a\.csv:2 and b\.csv:2 .* disagree on enabled, remoteIPRanges/);
  });

  it('a partial console paste fills what the other copy lacks, and does not count as disagreeing', async () => {
    const fl = 'Identity         : EX01\\Relay\nPermissionGroups : AnonymousUsers, Custom\nAuthMechanism    : Tls\n';
    const csv = '"Identity","Enabled","Bindings","RemoteIPRanges","TransportRole"\n"EX01\\Relay","True","0.0.0.0:25","10.0.0.1","FrontendTransport"\n';
    const { snapshot } = await importSources([makeSourceText('a.csv', csv), makeSourceText('b.txt', fl)]);
    assert.equal(snapshot.connectors.length, 1);
    const c = snapshot.connectors[0];
    assert.deepEqual(c?.permissionGroups, ['AnonymousUsers', 'Custom']);
    assert.deepEqual(c?.remoteIPRanges.map((r) => r.first), ['10.0.0.1']);
    assert.deepEqual(snapshot.warnings.filter((w) => /disagree/.test(w.message)), []);
  });

  it('permissions are de-duplicated (localised names and SIDs count as the same principal); servers merge their addresses', async () => {
    const perms = '"Identity","User","Deny","IsInherited","ExtendedRights"\n"EX01\\Relay","NT AUTHORITY\\ANONYMOUS LOGON","False","False","ms-Exch-SMTP-Submit"\n"EX01\\Relay","S-1-5-7","False","False","ms-Exch-SMTP-Submit"\n"EX01\\Relay","S-1-5-7","True","False","ms-Exch-SMTP-Submit"\n';
    const s1 = '[{"Name":"EX01","ServerRole":"Mailbox","AdminDisplayVersion":"Version 15.1 (Build 2507.6)","IPAddresses":["192.0.2.11"]}]';
    const s2 = '[{"Name":"ex01","ServerRole":"Mailbox","IPAddresses":"192.0.2.12;2001:DB8::11","Fqdn":"ex01.corp.example"}]';
    const { snapshot } = await importSources([makeSourceText('p.csv', perms), makeSourceText('s1.json', s1), makeSourceText('s2.json', s2)]);
    assert.equal(snapshot.permissions.length, 2);
    assert.equal(snapshot.servers.length, 1);
    assert.deepEqual(snapshot.servers[0]?.ipAddresses, ['192.0.2.11', '192.0.2.12', '2001:db8::11']);
    assert.equal(snapshot.servers[0]?.fqdn, 'ex01.corp.example');
  });

  it('an accepted domain listed twice with different types keeps the first and warns where', async () => {
    const a = 'DomainName,DomainType,Default\ncorp.example,Authoritative,True\n';
    const b = 'DomainName,DomainType,Default\nCORP.example,InternalRelay,True\n';
    const { snapshot } = await importSources([makeSourceText('a.csv', a), makeSourceText('b.csv', b)]);
    assert.deepEqual(snapshot.acceptedDomains.map((d) => d.domainType), ['Authoritative']);
    assert.deepEqual(snapshot.warnings.map((w) => [w.file, w.line]), [['b.csv', 2]]);
    assert.match(snapshot.warnings[0]?.message ?? '', /corp\.example appears twice .*a\.csv:2: Authoritative.*b\.csv:2: InternalRelay/i);
  });

  // UNSURE(reference): ConvertTo-Json of Exchange enums as numbers is unconfirmed (§9.3); both shapes are read.
  it('UNSURE(reference): ConvertTo-Json enums as numbers or names give the same connector', async () => {
    const base = { Identity: 'EX01\\R', Bindings: ['0.0.0.0:25'], RemoteIPRanges: ['10.0.0.1'] };
    const a = await importSources([makeSourceText('n.json', JSON.stringify({ ...base, AuthMechanism: 5, PermissionGroups: 33, TransportRole: 16384, ProtocolLoggingLevel: 1 }))]);
    const b = await importSources([makeSourceText('s.json', JSON.stringify({ ...base, AuthMechanism: 'Tls, BasicAuth', PermissionGroups: 'AnonymousUsers, Custom', TransportRole: 'FrontendTransport', ProtocolLoggingLevel: 'Verbose' }))]);
    const strip = (s: typeof a.snapshot) => s.connectors.map(({ extra: _e, ...rest }) => rest);
    assert.deepEqual(strip(a.snapshot), strip(b.snapshot));
    assert.deepEqual(a.snapshot.connectors[0]?.authMechanism, ['Tls', 'BasicAuth']);
  });

  it('a receive connector with a truncated console list keeps what is shown and says so', async () => {
    const fl = 'Identity       : EX01\\Relay\nRemoteIPRanges : {10.0.0.1, 10.0.0.2, 10.0.0.3, 10.0.0.4...}\n';
    const { snapshot } = await importSources([makeSourceText('t.txt', fl)]);
    assert.deepEqual(snapshot.connectors[0]?.remoteIPRanges.map((r) => r.first), ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4']);
    assert.ok(snapshot.warnings.some((w) => /EX01\\Relay.*RemoteIPRanges.*truncated|RemoteIPRanges.*EX01\\Relay.*(cut short|truncated)/.test(w.message)), JSON.stringify(snapshot.warnings));
  });
});

describe('loadSnapshot', () => {
  it('reads a directory recursively in sorted order; protocol logs and binary files are skipped with a warning', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'exrelay-load-'));
    try {
      mkdirSync(join(dir, 'b', 'deeper'), { recursive: true });
      mkdirSync(join(dir, 'a'));
      copyFileSync(join(REPO_ROOT, 'fixtures/importers/csv/connectors-joined.csv'), join(dir, 'b', 'deeper', 'rc.dat'));
      copyFileSync(join(REPO_ROOT, 'fixtures/importers/clixml/remote-deserialized.xml'), join(dir, 'a', 'rc.xml'));
      writeFileSync(join(dir, 'a', 'log.LOG'), '#Software: Microsoft Exchange Server\n#Log-type: SMTP Receive Protocol Log\n');
      writeFileSync(join(dir, 'b', 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0xff, 0xfe, 0xfd, 0x0a, 0x00]));
      const io = { ...captureIo(), cwd: dir };
      const cap = captureIo();
      io.stderr = cap.stderr.bind(cap);
      const snap = await loadSnapshot(['.'], io);
      assert.deepEqual(snap.connectors.map((c) => c.identity), ['EX16A\\Relay EX16A', 'EX01\\Relay EX01', 'EX01\\Apps EX01']);
      const lines = cap.err.trimEnd().split('\n');
      assert.ok(lines.some((l) => /^exrelay: warning: a\/log\.LOG: not a supported export \(an SMTP receive protocol log/.test(l)), cap.err);
      assert.ok(lines.some((l) => /^exrelay: warning: b\/logo\.png: not a supported export/.test(l)), cap.err);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing input is an InputError naming it', async () => {
    await assert.rejects(loadSnapshot(['nope.xml'], captureIo()), (e: unknown) => e instanceof InputError && e.file === 'nope.xml');
  });
});
