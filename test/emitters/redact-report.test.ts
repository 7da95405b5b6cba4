// `audit --format html --redact` on an estate that plants the organisation's name, its town,
// region and country in certificates, banners and host names: none of it may survive anywhere in
// the page (text, scripts, evidence, attributes), and no address the customer keeps private may be
// called public because redaction moved it.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createRedactor } from '../../src/emitters/redact.js';
import { isPublicInterval, parseRangeExpression } from '../../src/net/index.js';
import type { Snapshot } from '../../src/model.js';
import { runCli } from '../helpers/cli.js';
import { acceptedDomain, anonymousRelay, certificate, connector, defaultInstall, estate, range } from '../helpers/build.js';

/** Distinctive words nobody else uses: if one is in the page, redaction missed it. */
const PLANTED = ['Zanzibar', 'Quokkaworks', 'Wollongong', 'Tasmania', 'Platypus Division', 'Kookaburra Root CA', 'zbw-mail', 'zanzibar-widgets'];

function plantedEstate(): Snapshot {
  const s = estate(
    defaultInstall('2016', { server: 'ZBWEX01', ipAddress: '10.44.0.10' }),
    anonymousRelay({ identity: 'ZBWEX01\\Printers', name: 'Printers', server: 'ZBWEX01', transportRole: 'FrontendTransport',
      remoteIPRanges: [range('10.44.7.0/28')], banner: '220 Zanzibar Widgets relay, Wollongong office' }),
    connector({ identity: 'ZBWEX01\\Partner Quokkaworks', name: 'Partner Quokkaworks', server: 'ZBWEX01', transportRole: 'FrontendTransport',
      remoteIPRanges: [range('198.51.100.16/28')], permissionGroups: ['ExchangeServers'], authMechanism: ['Tls', 'ExternalAuthoritative'],
      fqdn: 'zbw-mail.zanzibar-widgets.example' }),
    acceptedDomain({ domainName: 'zanzibar-widgets.example', default: true }),
    certificate({
      subject: 'CN=zbw-mail.zanzibar-widgets.example, OU=Platypus Division, O=Zanzibar Widgets Pty Ltd, L=Wollongong, ST=Tasmania, C=AU',
      issuer: 'CN=Kookaburra Root CA, O=Quokkaworks Trust Services, L=Wollongong, C=AU',
      dnsNames: ['zbw-mail.zanzibar-widgets.example'], server: 'ZBWEX01', thumbprint: '5A'.repeat(20),
    }),
  );
  s.servers = s.servers.map((x) => ({ ...x, fqdn: 'zbwex01.ad.zanzibar-widgets.example' }));
  return s;
}

describe('audit --format html --redact', () => {
  let work = '';
  let html = '';
  let plain = '';
  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'exrelay-redact-'));
    const input = join(work, 'snapshot.json');
    writeFileSync(input, JSON.stringify(plantedEstate()));
    const out = join(work, 'report.html');
    const run = await runCli(['audit', input, '--format', 'html', '--redact', '--out', out]);
    assert.equal(run.exitCode, 0, run.stderr);
    html = readFileSync(out, 'utf8');
    const unredacted = await runCli(['audit', input, '--format', 'html']);
    assert.equal(unredacted.exitCode, 0, unredacted.stderr);
    plain = unredacted.stdout;
  });
  after(() => { if (work !== '') rmSync(work, { recursive: true, force: true }); });

  it('leaves no organisation, place, region, certificate subject or issuer text anywhere in the page', () => {
    // The planted names are in the page without --redact (the test would prove nothing otherwise).
    for (const word of ['Zanzibar', 'Quokkaworks', 'Wollongong', 'zbw-mail', 'zanzibar-widgets']) assert.ok(plain.includes(word), `"${word}" is in the unredacted page`);
    for (const word of PLANTED) assert.ok(!html.toLowerCase().includes(word.toLowerCase()), `"${word}" survived redaction`);
    // Every certificate name component is replaced, country included (C=AU would still say where).
    for (const m of html.matchAll(/\b(CN|OU|O|L|ST|C)=([^,<"]*)/g)) {
      assert.match(m[2] ?? '', /^(?:redacted-[a-z]+\d*|[a-z]+\d*\.domain\d+\.invalid|domain\d+\.invalid|SRV\d+|XX)$/, `${m[0]} is not a placeholder`);
    }
    assert.ok(!html.includes('ZBWEX01'), 'the server name');
    // Certificate names as any text carries them: every component becomes a placeholder.
    const r = createRedactor();
    r.learn(plantedEstate());
    const subject = r.redactText('CN=zbw-mail.zanzibar-widgets.example, OU=Platypus Division, O=Zanzibar Widgets Pty Ltd, L=Wollongong, ST=Tasmania, C=AU');
    assert.match(subject, /^CN=host\d+\.domain\d+\.invalid, OU=redacted-unit\d+, O=redacted-org\d+, L=redacted-place\d+, ST=redacted-region\d+, C=XX$/);
    assert.equal(r.redactText('Relay of Zanzibar in Wollongong, Tasmania'), r.redactText('Relay of Zanzibar in Wollongong, Tasmania'));
    assert.doesNotMatch(r.redactText('Relay of Zanzibar in Wollongong, Tasmania'), /Zanzibar|Wollongong|Tasmania/);
  });

  it('calls the redacted partner range public and the redacted printer range not, as the originals are', () => {
    const rows = [...html.matchAll(/<tr id="r-c-\d+">([\s\S]*?)<\/tr>/g)].map((m) => m[1] ?? '');
    const partner = rows.find((r) => r.includes('Partner'));
    const printers = rows.find((r) => r.includes('Printers'));
    assert.ok(partner !== undefined && printers !== undefined);
    assert.match(partner, /class="mono pub"/, 'the public partner range is still marked public');
    assert.match(partner, /public addresses reach it/);
    assert.doesNotMatch(printers, /\bpub\b|public addresses reach/, 'the private printer range is not called public');
  });
});

describe('redacted addresses keep their class', () => {
  it('maps private blocks into private space and public blocks into space that is public and nobody\'s', () => {
    const r = createRedactor();
    const text = r.redactText('10.44.7.3 172.20.1.1 192.168.9.9 100.64.3.3 198.51.100.20 8.8.8.8 2001:4860::8888 fd12:3456::1');
    const parts = text.split(' ');
    const cls = (a: string): boolean => {
      const i = parseRangeExpression(a);
      assert.ok(i !== null, a);
      return isPublicInterval(i);
    };
    assert.deepEqual(parts.map(cls), [false, false, false, false, true, true, true, false], text);
    assert.ok(!text.includes('198.51.100.20') && !text.includes('8.8.8.8') && !text.includes('2001:4860'), text);
  });
});
