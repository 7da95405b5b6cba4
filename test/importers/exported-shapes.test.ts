// Shapes of real exports that used to lose data silently or be refused: directory references as
// ConvertTo-Json objects, culture-printed dates, CertificateDomains {}, ANSI text, office files
// given instead of exports, and the `extra.assumed` record of properties filled by default.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { adObjectIdText, printedReferences } from '../../src/importers/ad-object-id.js';
import { readConsoleDate } from '../../src/importers/dates.js';
import { importSources } from '../../src/importers/index.js';
import type { PsValue } from '../../src/importers/types.js';
import { InputError } from '../../src/errors.js';
import { decodeSource, makeSourceText } from '../../src/source.js';

const ORG = 'CN=Exchange Administrative Group (FYDIBOHF23SPDLT),CN=Administrative Groups,CN=Corp,CN=Microsoft Exchange,CN=Services,CN=Configuration,DC=corp,DC=example';

async function importText(name: string, text: string): Promise<Awaited<ReturnType<typeof importSources>>['snapshot']> {
  return (await importSources([makeSourceText(name, text)])).snapshot;
}

describe('ADObjectId values (ConvertTo-Json of whole Exchange objects)', () => {
  it('a connector Identity with its DistinguishedName prints as SERVER\\Name', () => {
    assert.equal(adObjectIdText({ Rdn: 'CN=Relay, Scanners', Parent: 'x', DistinguishedName: `CN=Relay\\, Scanners,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,${ORG}`, Name: 'Relay, Scanners' }), 'EX01\\Relay, Scanners');
  });

  it('without a DistinguishedName, Name and the Parent chain name the server, whatever depth cut the chain', () => {
    // Parent as an object whose own Parent was printed as a DN at the -Depth cut.
    const cutAtDn: PsValue = { Name: 'Relay EX01', Rdn: { UnescapedName: 'Relay EX01' }, Parent: { Name: 'SMTP Receive Connectors', Rdn: 'CN=SMTP Receive Connectors', Parent: `CN=Protocols,CN=EX01,CN=Servers,${ORG}` } };
    assert.equal(adObjectIdText(cutAtDn), 'EX01\\Relay EX01');
    // The whole chain as objects.
    const chain: PsValue = { Name: 'Relay EX01', Rdn: 'CN=Relay EX01', Parent: { Name: 'SMTP Receive Connectors', Rdn: 'CN=SMTP Receive Connectors', Parent: { Name: 'Protocols', Rdn: 'CN=Protocols', Parent: { Name: 'EX01', Rdn: 'CN=EX01', Parent: { Name: 'Servers', Rdn: 'CN=Servers', Parent: null } } } } };
    assert.equal(adObjectIdText(chain), 'EX01\\Relay EX01');
    // Parent printed as a canonical path.
    const canonical: PsValue = { Rdn: { UnescapedName: 'Relay EX01' }, Parent: 'corp.example/Configuration/Services/Microsoft Exchange/Corp/Administrative Groups/AG/Servers/EX01/Protocols/SMTP Receive Connectors' };
    assert.equal(adObjectIdText(canonical), 'EX01\\Relay EX01');
  });

  it('other directory objects (a Server reference) print as their name; principals as RawIdentity', () => {
    assert.equal(printedReferences({ Rdn: 'CN=EX01', Parent: 'x', DistinguishedName: `CN=EX01,CN=Servers,${ORG}`, Name: 'EX01' }), 'EX01');
    assert.equal(printedReferences({ RawIdentity: 'NT AUTHORITY\\ANONYMOUS LOGON', SecurityIdentifier: 'S-1-5-7' }), 'NT AUTHORITY\\ANONYMOUS LOGON');
    assert.deepEqual(printedReferences({ Address: '::', Port: 25 }), { Address: '::', Port: 25 });
    assert.deepEqual(printedReferences([{ Domain: 'mail.corp.example', IncludeSubDomains: false }, { Domain: 'corp.example', IncludeSubDomains: true }]), ['mail.corp.example', '*.corp.example']);
  });

  it('a ConvertTo-Json connector whose Identity is an object imports (it used to be skipped)', async () => {
    const json = JSON.stringify([{ Identity: { Rdn: { UnescapedName: 'Relay EX01' }, Parent: `CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,${ORG}`, DistinguishedName: `CN=Relay EX01,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,${ORG}`, Name: 'Relay EX01' }, Bindings: ['0.0.0.0:25'], RemoteIPRanges: ['192.0.2.10'] }]);
    const snap = await importText('rc.json', json);
    assert.deepEqual(snap.connectors.map((c) => [c.identity, c.server, c.name]), [['EX01\\Relay EX01', 'EX01', 'Relay EX01']]);
    assert.ok(!snap.warnings.some((w) => /without Identity/.test(w.message)));
  });

  it('Identity and Server cut to their DN text at -Depth 1 still name the connector and its server', async () => {
    const json = JSON.stringify({ Identity: `CN=Relay EX01,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,${ORG}`, Server: `CN=EX01,CN=Servers,${ORG}`, Bindings: ['0.0.0.0:25'] });
    const snap = await importText('rc.json', json);
    assert.deepEqual(snap.connectors.map((c) => [c.identity, c.server, c.name]), [['EX01\\Relay EX01', 'EX01', 'Relay EX01']]);
  });

  it('an ADPermission Identity and User as objects give the connector and the principal', async () => {
    const json = JSON.stringify({ Identity: { DistinguishedName: `CN=Relay EX01,CN=SMTP Receive Connectors,CN=Protocols,CN=EX01,CN=Servers,${ORG}`, Rdn: 'CN=Relay EX01', Parent: 'x', Name: 'Relay EX01' }, User: { RawIdentity: 'NT AUTHORITY\\ANONYMOUS LOGON', SecurityIdentifier: 'S-1-5-7' }, Deny: false, IsInherited: false, ExtendedRights: ['ms-Exch-SMTP-Submit'] });
    const snap = await importText('adperm.json', json);
    assert.deepEqual(snap.permissions.map((p) => [p.identity, p.user]), [['EX01\\Relay EX01', 'NT AUTHORITY\\ANONYMOUS LOGON']]);
  });
});

describe('dates as the console prints them', () => {
  it('reads en-US, de-DE, en-GB/fr-FR, ja-JP and tells ambiguous ones apart', () => {
    assert.deepEqual(readConsoleDate('6/30/2025 12:00:00 PM', null), { kind: 'date', iso: '2025-06-30T12:00:00Z' });
    assert.deepEqual(readConsoleDate('6/30/2025 12:00:00 AM', null), { kind: 'date', iso: '2025-06-30T00:00:00Z' });
    assert.deepEqual(readConsoleDate('30.06.2025 12:00:00', null), { kind: 'date', iso: '2025-06-30T12:00:00Z' });
    assert.deepEqual(readConsoleDate('05.01.2027 15:04:05', null), { kind: 'date', iso: '2027-01-05T15:04:05Z' });
    assert.deepEqual(readConsoleDate('30/06/2025 12:00:00', null), { kind: 'date', iso: '2025-06-30T12:00:00Z' });
    assert.deepEqual(readConsoleDate('2025/06/30 12:00:00', null), { kind: 'date', iso: '2025-06-30T12:00:00Z' });
    assert.deepEqual(readConsoleDate('1/5/2027 3:04:05 PM', null), { kind: 'ambiguous', monthFirst: '2027-01-05T15:04:05Z', dayFirst: '2027-05-01T15:04:05Z' });
    assert.deepEqual(readConsoleDate('1/5/2027 3:04:05 PM', 'month-first'), { kind: 'date', iso: '2027-01-05T15:04:05Z' });
    assert.deepEqual(readConsoleDate('05/01/2027 15:04:05', 'day-first'), { kind: 'date', iso: '2027-01-05T15:04:05Z' });
    assert.deepEqual(readConsoleDate('3/3/2027', null), { kind: 'date', iso: '2027-03-03T00:00:00Z' });
    assert.deepEqual(readConsoleDate('31/02/2027', null), { kind: 'not-a-date' });
    assert.deepEqual(readConsoleDate('EX01', null), { kind: 'not-a-date' });
  });

  const cert = (notAfter: string, thumb: string): string => `Thumbprint         : ${thumb}\nSubject            : CN=mail.corp.example\nNotAfter           : ${notAfter}\nServices           : SMTP\n`;

  it('a file whose dates never show a day over 12 warns and leaves the expiry empty (never guessed)', async () => {
    const snap = await importText('certs.txt', `${cert('1/5/2027 3:04:05 PM', 'AA11')}\n${cert('2/3/2030 8:09:10 AM', 'BB22')}`);
    assert.deepEqual(snap.certificates.map((c) => c.notAfter), ['', '']);
    assert.match(snap.warnings[0]?.message ?? '', /reads as 2027-01-05 \(month first, en-US\) or 2027-05-01 \(day first\).*left empty/);
  });

  it('another date of the file decides the order', async () => {
    const snap = await importText('certs.txt', `${cert('1/5/2027 3:04:05 PM', 'AA11')}\n${cert('6/30/2025 12:00:00 PM', 'BB22')}`);
    assert.deepEqual(snap.certificates.map((c) => c.notAfter), ['2027-01-05T15:04:05Z', '2025-06-30T12:00:00Z']);
    assert.deepEqual(snap.warnings, []);
  });

  it('dates of both orders in one file are a warning, and only self-evident dates are read', async () => {
    const snap = await importText('certs.txt', `${cert('30/06/2025 12:00:00', 'AA11')}\n${cert('6/30/2025 12:00:00 PM', 'BB22')}\n${cert('1/5/2027 3:04:05 PM', 'CC33')}`);
    assert.deepEqual(snap.certificates.map((c) => c.notAfter), ['2025-06-30T12:00:00Z', '2025-06-30T12:00:00Z', '']);
    assert.ok(snap.warnings.some((w) => /both day-first and month-first/.test(w.message)));
  });

  it('CertificateDomains : {} means none: the subject CN is not taken instead', async () => {
    const empty = await importText('c.txt', `${cert('6/30/2025 12:00:00 PM', 'AA11')}CertificateDomains : {}\n`);
    assert.deepEqual(empty.certificates[0]?.dnsNames, []);
    const absent = await importText('c.txt', cert('6/30/2025 12:00:00 PM', 'AA11'));
    assert.deepEqual(absent.certificates[0]?.dnsNames, ['mail.corp.example']);
  });
});

describe('encodings and files that are no export', () => {
  it('Windows-1252 text is read with a warning naming the first line that is not UTF-8', async () => {
    const bytes = Buffer.from('User : x\r\nIdentity : EX01\\Relay\r\nUser : NT-AUTORIT\xc4T\\ANONYMOUS-ANMELDUNG\r\nExtendedRights : {ms-Exch-SMTP-Submit}\r\n', 'latin1');
    const source = decodeSource('adperm.txt', bytes);
    assert.match(source.text, /NT-AUTORITÄT/);
    const { snapshot } = await importSources([source]);
    assert.deepEqual(snapshot.warnings.filter((w) => /Windows-1252/.test(w.message)).map((w) => w.line), [3]);
  });

  it('the long-standing latin-1 fixture imports instead of being refused', async () => {
    const { readFileSync } = await import('node:fs');
    const source = decodeSource('windows-1252-banner.txt', readFileSync(new URL('../../fixtures/importers/encodings/windows-1252-banner.txt', import.meta.url)));
    assert.match(source.text, /Banner {3}: 220 café relay/);
  });

  const refusal = (bytes: Uint8Array): string => {
    try { decodeSource('f', bytes); } catch (error) { if (error instanceof InputError) return error.message; throw error; }
    return 'accepted';
  };
  const zip = (part: string): Uint8Array => Buffer.concat([Buffer.from([0x50, 0x4b, 0x03, 0x04, 20, 0, 0, 0]), Buffer.from(`\0\0\0\0${part}\0\0`, 'latin1')]);

  it('a .docx, .xlsx or PDF given by mistake is named, with the export to ask for', () => {
    assert.match(refusal(zip('word/document.xml')), /^a Word document \(\.docx\).*ask for the export file itself/);
    assert.match(refusal(zip('xl/workbook.xml')), /^an Excel workbook \(\.xlsx\).*\.csv file Export-Csv wrote/);
    assert.match(refusal(Buffer.from('%PDF-1.7\n%\xe2\xe3\xcf\xd3\n', 'latin1')), /^a PDF document/);
    assert.match(refusal(zip('rc.xml')), /^a ZIP archive.*unpack it/);
    assert.match(refusal(Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1, 0, 0])), /\.doc, \.xls or \.msg/);
  });
});

describe('extra.assumed (rules.md "Assumed is not observed")', () => {
  const partial = 'Identity       : EX01\\Relay EX01\nBindings       : {0.0.0.0:25}\nRemoteIPRanges : {192.0.2.10}\n';
  it('a partial capture lists the properties filled by default, by PowerShell name, sorted', async () => {
    const snap = await importText('rc.txt', partial);
    assert.deepEqual(snap.connectors[0]?.extra?.assumed, ['AuthMechanism', 'Banner', 'DomainSecureEnabled', 'Enabled', 'Fqdn', 'MaxMessageSize',
      'MaxRecipientsPerMessage', 'PermissionGroups', 'ProtocolLoggingLevel', 'RequireTLS', 'TlsCertificateName', 'TransportRole']);
  });

  it('a property observed in any merged input is not assumed', async () => {
    const other = 'Identity         : EX01\\Relay EX01\nPermissionGroups : AnonymousUsers\nAuthMechanism    : Tls\nTransportRole    : FrontendTransport\n';
    const { snapshot } = await importSources([makeSourceText('a.txt', partial), makeSourceText('b.txt', other)]);
    assert.equal(snapshot.connectors.length, 1);
    assert.deepEqual(snapshot.connectors[0]?.permissionGroups, ['AnonymousUsers']);
    assert.deepEqual(snapshot.connectors[0]?.extra?.assumed, ['Banner', 'DomainSecureEnabled', 'Enabled', 'Fqdn', 'MaxMessageSize',
      'MaxRecipientsPerMessage', 'ProtocolLoggingLevel', 'RequireTLS', 'TlsCertificateName']);
  });

  it('a complete export assumes nothing; a CSV column that held a type name is assumed', async () => {
    const { readFileSync } = await import('node:fs');
    const full = decodeSource('ref.xml', readFileSync(new URL('../../fixtures/importers/same-objects/receive-connectors/reference.xml', import.meta.url)));
    const { snapshot } = await importSources([full]);
    assert.deepEqual(snapshot.connectors.map((c) => c.extra?.assumed), [undefined, undefined]);
    const csv = '"Identity","Bindings","RemoteIPRanges","PermissionGroups","AuthMechanism","TransportRole","Enabled","RequireTLS","DomainSecureEnabled","Fqdn","TlsCertificateName","Banner","ProtocolLoggingLevel","MaxMessageSize","MaxRecipientsPerMessage"\n'
      + '"EX01\\Relay","0.0.0.0:25","Microsoft.Exchange.Data.MultiValuedProperty`1[Microsoft.Exchange.Data.IPRange]","AnonymousUsers","Tls","FrontendTransport","True","False","False","relay.corp.example","","","None","36 MB (37,748,736 bytes)","200"\n';
    const fromCsv = await importText('rc.csv', csv);
    assert.deepEqual(fromCsv.connectors[0]?.extra?.assumed, ['RemoteIPRanges']);
  });
});

describe('Format-Table -Wrap without -AutoSize', () => {
  it('a first column continued on the next line is joined; a table that cuts values short has no continuations', async () => {
    const wrapped = ['User                    ExtendedRights           Deny IsInherited', '----                    --------------           ---- -----------',
      'CORP\\ExchangeLegacyInte {ms-Exch-SMTP-Accept-An  True       False', 'rop                     y-Recipient}'].join('\n');
    const w = await importText('w.txt', `Get-ADPermission "EX01\\Relay EX01" | ft User,ExtendedRights,Deny,IsInherited -Wrap\n\n${wrapped}\n`);
    assert.deepEqual(w.permissions.map((p) => [p.user, p.extendedRights, p.deny]), [['CORP\\ExchangeLegacyInterop', ['ms-Exch-SMTP-Accept-Any-Recipient'], true]]);
    const cut = ['Identity             User                 Deny  Inherited', '--------             ----                 ----  ---------',
      'EX01\\Relay EX01      NT AUTHORITY\\ANON... False False', 'EX01\\Relay EX01      CORP\\svc-app'].join('\n');
    const c = await importText('c.txt', `${cut}\n`);
    assert.deepEqual(c.permissions.map((p) => p.user), ['NT AUTHORITY\\ANONYMOUS LOGON', 'CORP\\svc-app']);
  });
});
