// The bundled demo estate and every real sample of ../shared/corpus/real that holds receive
// connectors or accepted domains, audited: exactly the findings docs/rules/checked-estates.md
// lists and explains (each one checked as an Exchange admin would), nothing more. A change that
// adds, drops or re-grades a finding here must be checked again and the document updated.
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runAudit } from '../../src/analyzers/run.js';
import { importSources } from '../../src/importers/index.js';
import type { FindingsDocument } from '../../src/model.js';
import { decodeSource } from '../../src/source.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { TEST_NOW } from '../helpers/rule-tester.js';

const CORPUS = join(REPO_ROOT, '../shared/corpus/real');

// The demo estate's logs/ folder holds protocol and tracking logs for `exrelay logs`, not exports.
function files(dir: string): string[] {
  return readdirSync(dir).filter((n) => n !== 'logs').flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

async function audit(paths: string[]): Promise<FindingsDocument> {
  const { snapshot } = await importSources(paths.sort().map((f) => decodeSource(f, readFileSync(f))));
  return runAudit(snapshot, {}, TEST_NOW);
}

const lines = (doc: FindingsDocument): string[] => doc.findings.map((f) => `${f.severity} ${f.rule} ${f.connector ?? '-'}`);
const skipped = (doc: FindingsDocument): string[] => [...new Set((doc.notRun ?? []).filter((n) => n.connector !== undefined).map((n) => `${n.connector ?? ''}: ${n.missing.replace(/ of .*$/s, '')}`))].sort();

describe('checked estates (docs/rules/checked-estates.md)', () => {
  it('the demo estate fixtures/estate-2010-2016', async () => {
    const doc = await audit(files(join(REPO_ROOT, 'fixtures/estate-2010-2016')).filter((f) => !f.endsWith('.yaml')));
    assert.deepEqual(lines(doc), [
      'critical externally-secured-relay CMEX16A\\Partner Fabrikam Logistics CMEX16A',
      'critical externally-secured-relay CMEX16B\\Partner Fabrikam Logistics CMEX16B',
      'high anonymous-open-relay CMEX10A\\SMTP Relay - Allow All CMEX10A',
      'high anonymous-open-relay CMEX10B\\Relay Printers CMEX10B',
      'high anonymous-open-relay CMEX10B\\SMTP Relay - Allow All CMEX10B',
      'high basic-auth-without-tls CMEX16A\\Warehouse Handhelds CMEX16A',
      'high relay-range-includes-exchange-server CMEX10A\\SMTP Relay - Allow All CMEX10A',
      'high relay-range-includes-exchange-server CMEX10B\\SMTP Relay - Allow All CMEX10B',
      'high tls-certificate-expired CMEX10A\\Default CMEX10A',
      'high tls-certificate-expired CMEX10B\\Default CMEX10B',
      'high tls-not-offered CMEX16A\\Warehouse Handhelds CMEX16A',
      // The four servers (2010 and 2016) are past end of support on TEST_NOW (2026-06-01).
      'high unsupported-exchange-version -',
      'high unsupported-exchange-version -',
      'high unsupported-exchange-version -',
      'high unsupported-exchange-version -',
      'medium anonymous-sender-spoofing CMEX10A\\App Relay CMEX10A',
      'medium anonymous-sender-spoofing CMEX10A\\Relay Printers CMEX10A',
      'medium anonymous-sender-spoofing CMEX10A\\SMTP Relay - Allow All CMEX10A',
      'medium anonymous-sender-spoofing CMEX10B\\App Relay CMEX10B',
      'medium anonymous-sender-spoofing CMEX10B\\Relay Printers CMEX10B',
      'medium anonymous-sender-spoofing CMEX10B\\SMTP Relay - Allow All CMEX10B',
      'medium connector-inconsistent-across-servers CMEX10A\\Relay Printers CMEX10A',
      'medium connector-inconsistent-across-servers CMEX16A\\Warehouse Handhelds CMEX16A',
      'low anonymous-sender-spoofing CMEX16A\\App Relay CMEX16A',
      'low anonymous-sender-spoofing CMEX16A\\Relay Printers CMEX16A',
      'low anonymous-sender-spoofing CMEX16B\\App Relay CMEX16B',
      'low anonymous-sender-spoofing CMEX16B\\Relay Printers CMEX16B',
      'low protocol-logging-disabled CMEX10A\\Relay Printers CMEX10A',
      'low protocol-logging-disabled CMEX10A\\SMTP Relay - Allow All CMEX10A',
      'low protocol-logging-disabled CMEX10B\\Relay Printers CMEX10B',
      'low protocol-logging-disabled CMEX10B\\SMTP Relay - Allow All CMEX10B',
      'low protocol-logging-disabled CMEX16A\\Warehouse Handhelds CMEX16A',
      'info anonymous-relay-inventory CMEX10A\\App Relay CMEX10A',
      'info anonymous-relay-inventory CMEX10A\\Relay Printers CMEX10A',
      'info anonymous-relay-inventory CMEX10B\\App Relay CMEX10B',
      'info anonymous-relay-inventory CMEX16A\\App Relay CMEX16A',
      'info anonymous-relay-inventory CMEX16A\\Relay Printers CMEX16A',
      'info anonymous-relay-inventory CMEX16B\\App Relay CMEX16B',
      'info anonymous-relay-inventory CMEX16B\\Relay Printers CMEX16B',
    ]);
    const allowAll = doc.findings.find((f) => f.rule === 'anonymous-open-relay' && f.connector === 'CMEX10A\\SMTP Relay - Allow All CMEX10A');
    assert.equal(allowAll?.evidence.publicReach, '256 IPv4 addresses');
    assert.equal(allowAll?.evidence.privateReach, 'about 18 million IPv4 addresses');
  });

  const samples: Record<string, { findings: string[]; skipped?: string[] }> = {
    'clixml-ex2019-receiveconnector-cssexchange-01.xml': { findings: [] },
    'fl-ex2016-default-frontend-qa-01.txt': { findings: [] },
    'table-ex2019-default-five-qa-01.txt': { findings: [] },
    'fl-ex2019-calculated-props-blog-01.txt': { findings: [] },
    'mixed-ex2010-fl-partial-and-adperm-blog-01.txt': { findings: [] },
    'mixed-ex2019-fl-subset-and-adperm-qa-01.txt': { findings: [] },
    'clixml-ex2019-accepteddomain-relay-wildcards-cssexchange-01.xml': { findings: ['critical wildcard-accepted-domain -', 'critical wildcard-accepted-domain -'] },
  };
  for (const [name, expected] of Object.entries(samples)) {
    it(`corpus sample ${name}`, async () => {
      const doc = await audit([join(CORPUS, name)]);
      assert.deepEqual(lines(doc), expected.findings);
    });
  }

  it('the partial captures list what they skipped, per connector (checked-estates.md names them)', async () => {
    assert.deepEqual(skipped(await audit([join(CORPUS, 'mixed-ex2010-fl-partial-and-adperm-blog-01.txt')])), [
      // TransportRole too: a partial capture cannot tell a 2010 connector (no role) from a 2013+ one.
      'Client EX0: Enabled', 'Client EX0: Enabled, ProtocolLoggingLevel', 'Client EX0: Enabled, RemoteIPRanges, TransportRole',
      'Client EX0: Enabled, TransportRole', 'Client EX0: Enabled, TransportRole, RemoteIPRanges',
      'Default EX0: Enabled', 'Default EX0: Enabled, ProtocolLoggingLevel', 'Default EX0: Enabled, RemoteIPRanges, TransportRole',
      'Default EX0: Enabled, TransportRole', 'Default EX0: Enabled, TransportRole, RemoteIPRanges',
    ]);
  });
});
