// The real-sample corpus (../shared/corpus/real): `exrelay import` on the whole folder exits 0,
// every receive-connector, ADPermission, accepted-domain, server and certificate sample yields
// its objects, and every other sample gives a "not a supported export" warning. The same samples
// re-encoded as Windows writes them (UTF-16LE + CRLF, UTF-16BE) import to the same objects.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { importSource, importSources } from '../../src/importers/index.js';
import type { Snapshot } from '../../src/model.js';
import { decodeSource } from '../../src/source.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';

const CORPUS = '../shared/corpus/real';
const ABS = join(REPO_ROOT, CORPUS);

type Counts = Partial<Record<'servers' | 'connectors' | 'permissions' | 'acceptedDomains' | 'certificates', number>>;

// What each supported sample must yield (objects per kind, after de-duplication within the file).
const EXPECTED: Record<string, Counts> = {
  'clixml-ex2019-receiveconnector-cssexchange-01.xml': { connectors: 5 },
  'clixml-ex2019-accepteddomain-relay-wildcards-cssexchange-01.xml': { acceptedDomains: 4 },
  'clixml-ex2016-exchangeserver-cssexchange-01.xml': { servers: 2 },
  'clixml-ex2016-exchangeserver-cssexchange-02.xml': { servers: 1 },
  'clixml-ex2019-exchangecertificate-cssexchange-02.xml': { certificates: 4 },
  'clixml-deserialized-exchangecertificate-cssexchange-01.xml': { certificates: 5 },
  // Console captures (parsed by console-text.ts, mapped here).
  'fl-ex2016-default-frontend-qa-01.txt': { connectors: 1 },
  'fl-ex2019-calculated-props-blog-01.txt': { connectors: 2 },
  'table-ex2019-default-five-qa-01.txt': { connectors: 5 },
  'mixed-ex2019-fl-subset-and-adperm-qa-01.txt': { connectors: 1, permissions: 5 },
  'mixed-ex2010-fl-partial-and-adperm-blog-01.txt': { connectors: 2, permissions: 8 },
  'adperm-table-calculated-rights-blog-01.txt': { permissions: 3 },
  'adperm-table-ex2007-rights-column-escaped-blog-01.txt': { permissions: 4 },
  'adperm-table-ex2010-korean-locale-blog-01.txt': { permissions: 1 },
  'adperm-table-ft-user-extendedrights-qa-01.txt': { permissions: 5 },
  'adperm-table-ft-user-extendedrights-qa-02.txt': { permissions: 4 },
  'adperm-table-misaligned-french-notes-01.txt': { permissions: 1 },
  'accepteddomain-table-exo-commented-notes-01.txt': { acceptedDomains: 1 },
  'accepteddomain-table-exo-readme-example-02.txt': { acceptedDomains: 2 },
  'cert-table-ex2019-lab-01.txt': { certificates: 4 },
  'cert-table-ex2019-masked-qa-02.txt': { certificates: 4 },
  'exchangeserver-fl-ex2007-ex2013-mixed-collapsed-01.txt': { servers: 4 },
  'exchangeserver-fl-ex2013-collapsed-qa-02.txt': { servers: 2 },
  'exchangeserver-fl-ex2013-ex2019-markdown-bold-qa-03.txt': { servers: 2 },
  'exchangeserver-fl-ex2019-msdocs-pdf-04.txt': { servers: 1 },
};

const KINDS = ['servers', 'connectors', 'permissions', 'acceptedDomains', 'certificates'] as const;

function countsOf(snapshot: Snapshot): Counts {
  const out: Counts = {};
  for (const k of KINDS) if (snapshot[k].length > 0) out[k] = snapshot[k].length;
  return out;
}

const files = readdirSync(ABS).filter((f) => f !== 'MANIFEST.md').sort();

describe('corpus: exrelay import ../shared/corpus/real', () => {
  it('exits 0 and every supported sample yields its objects', async () => {
    const r = await runCli(['import', CORPUS]);
    assert.equal(r.exitCode, 0, r.stderr);
    const snap = JSON.parse(r.stdout) as Snapshot;
    const byFile = new Map<string, Counts>();
    for (const k of KINDS) {
      for (const o of snap[k] as Array<{ extra?: { source?: { file?: string } } }>) {
        const file = (o.extra?.source?.file ?? '').split('/').pop() ?? '';
        const c = byFile.get(file) ?? {};
        c[k] = (c[k] ?? 0) + 1;
        byFile.set(file, c);
      }
    }
    for (const [file, counts] of Object.entries(EXPECTED)) assert.deepEqual(byFile.get(file) ?? {}, counts, file);
    // The protocol-log samples are skipped with one summary warning (logs has its own command).
    const logs = files.filter((f) => f.endsWith('.log'));
    assert.match(r.stderr, new RegExp(`exrelay: warning: ${CORPUS.replace(/[.]/g, '\\.')}: ${logs.length} SMTP receive protocol log files skipped \\(not a supported export`));
    // Every other sample is reported as not supported, never silently ignored.
    for (const file of files.filter((f) => !(f in EXPECTED) && !f.endsWith('.log'))) {
      assert.match(r.stderr, new RegExp(`${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}(:\\d+)?: .*not a supported export`), file);
    }
  });

  it('all five receive connectors of the live CLIXML sample, with their values', async () => {
    const name = 'clixml-ex2019-receiveconnector-cssexchange-01.xml';
    const { snapshot } = await importSource(decodeSource(name, readFileSync(join(ABS, name))));
    const fe = snapshot.connectors.find((c) => c.name === 'Default Frontend WIN-CTD3L0RGEN4');
    assert.ok(fe);
    assert.equal(fe.transportRole, 'FrontendTransport');
    assert.deepEqual(fe.permissionGroups, ['AnonymousUsers', 'ExchangeServers', 'ExchangeLegacyServers']);
    assert.deepEqual(new Set(fe.bindings.map((b) => `${b.address}|${b.port}`)), new Set(['::|25', '0.0.0.0|25']));
    assert.deepEqual(fe.remoteIPRanges.map((r) => [r.first, r.last]).sort(), [['0.0.0.0', '255.255.255.255'], ['::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']]);
    assert.equal(fe.maxMessageSize, 37748736);
    assert.equal(fe.protocolLoggingLevel, 'Verbose');
    assert.deepEqual(snapshot.warnings, []);
  });

  it('certificates from RawData: thumbprint, expiry and names', async () => {
    const name = 'clixml-ex2019-exchangecertificate-cssexchange-02.xml';
    const { snapshot } = await importSource(decodeSource(name, readFileSync(join(ABS, name))));
    const auth = snapshot.certificates.find((c) => c.thumbprint === '2D10A746D6BB8D795F1679AEBD89D5D2AE583CB7');
    assert.ok(auth);
    assert.equal(auth.subject, 'CN=Microsoft Exchange Server Auth Certificate');
    assert.match(auth.notAfter, /^2026-07-11T\d\d:59:05Z$/);
    assert.equal(auth.server, 'WIN-CTD3L0RGEN4');
  });

  for (const file of Object.keys(EXPECTED)) {
    it(`UTF-16LE+CRLF and UTF-16BE copies of ${file} import the same`, async () => {
      const bytes = readFileSync(join(ABS, file));
      const text = new TextDecoder('utf-8').decode(bytes).replace(/^\uFEFF/, '');
      const crlf = text.replace(/\r?\n/g, '\r\n');
      const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(crlf, 'utf16le')]);
      const beBody = Buffer.from(text, 'utf16le');
      for (let i = 0; i + 1 < beBody.length; i += 2) { const t = beBody[i] as number; beBody[i] = beBody[i + 1] as number; beBody[i + 1] = t; }
      const be = Buffer.concat([Buffer.from([0xfe, 0xff]), beBody]);
      const plain = await importSources([decodeSource(file, bytes)]);
      assert.deepEqual(countsOf(plain.snapshot), EXPECTED[file]);
      for (const variant of [le, be]) {
        const got = await importSources([decodeSource(file, variant)]);
        assert.deepEqual(countsOf(got.snapshot), EXPECTED[file]);
        assert.deepEqual(got.snapshot, plain.snapshot);
      }
    });
  }
});
