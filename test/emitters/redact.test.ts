// --redact: nothing that names the customer survives in the report, the JSON or text, while the
// redacted estate still behaves the same (addresses stay addresses, selection is unchanged).
import assert from 'node:assert/strict';
import { RULE_INFO } from '../../src/analyzers/rules/index.js';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { runAudit } from '../../src/analyzers/run.js';
import { renderReportHtml } from '../../src/emitters/report/index.js';
import { createRedactor } from '../../src/emitters/redact.js';
import { importSources } from '../../src/importers/index.js';
import { stableStringify } from '../../src/json.js';
import type { FindingsDocument, Snapshot } from '../../src/model.js';
import { buildPolicy, selectConnector } from '../../src/policy/index.js';
import { parseAddress } from '../../src/net/index.js';
import { decodeSource } from '../../src/source.js';
import { REPO_ROOT } from '../helpers/cli.js';

const ESTATE = join(REPO_ROOT, 'fixtures', 'estate-2010-2016');
const NOW = new Date('2026-06-01T00:00:00Z');

function files(dir: string): string[] {
  // logs/ holds the estate's protocol and tracking logs (read by `exrelay logs`, not exports).
  return readdirSync(dir).flatMap((n) => (n === 'logs' ? [] : statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

async function loadEstate(): Promise<Snapshot> {
  const sources = files(ESTATE).sort().map((f) => decodeSource(f, readFileSync(f)));
  return (await importSources(sources)).snapshot;
}

/** Every value of the estate that identifies the customer. */
function originals(s: Snapshot): string[] {
  const out = new Set<string>();
  const kept = new Set(['0.0.0.0', '255.255.255.255', '::', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff']);
  for (const srv of s.servers) { out.add(srv.name); if (srv.fqdn !== null) out.add(srv.fqdn); for (const ip of srv.ipAddresses) out.add(ip); }
  for (const c of s.connectors) {
    out.add(c.server);
    if (c.fqdn !== null) out.add(c.fqdn);
    for (const r of c.remoteIPRanges) for (const a of [r.first, r.last]) if (!kept.has(a)) out.add(a);
    for (const b of c.bindings) if (!kept.has(b.address)) out.add(b.address);
  }
  for (const d of s.acceptedDomains) out.add(d.domainName);
  for (const p of s.permissions) {
    const [dom, name] = p.user.split('\\');
    if (dom !== undefined && name !== undefined && !/^(NT AUTHORITY|MS Exchange)$/i.test(dom)) out.add(dom);
  }
  for (const c of s.certificates) { out.add(c.thumbprint); for (const n of c.dnsNames) if (n.includes('.')) out.add(n); }
  out.add('contoso'); // the organisation's name inside its domains, banners and certificate subjects
  return [...out];
}

function leaks(text: string, values: readonly string[]): string[] {
  const lower = text.toLowerCase();
  return values.filter((v) => {
    const needle = v.toLowerCase();
    // An address must not match as part of a longer one (10.20.0.1 inside 10.20.0.11 is no leak of itself).
    if (/^[\d.]+$/.test(v) || v.includes(':')) return new RegExp(`(?<![\\d.:a-f])${needle.replace(/[.]/g, '\\.')}(?![\\d:a-f]|\\.\\d)`).test(lower);
    return lower.includes(needle);
  });
}

describe('redaction of the demo estate', () => {
  let snapshot: Snapshot;
  let findings: FindingsDocument;
  let secret: string[];
  before(async () => {
    snapshot = await loadEstate();
    findings = runAudit(snapshot, {}, NOW);
    secret = originals(snapshot);
    assert.ok(secret.length > 30, 'the estate has plenty to hide');
    assert.ok(findings.findings.length > 10);
  });

  it('leaves no original host, domain, address, user or thumbprint in the redacted HTML, JSON and text', () => {
    const r = createRedactor();
    const s = r.redactSnapshot(snapshot);
    const f = r.redactFindings(findings);
    const html = renderReportHtml({ rules: RULE_INFO, snapshot: s, findings: f, policy: buildPolicy(s), generatedAt: NOW });
    const json = stableStringify(s) + stableStringify(f);
    const text = r.redactText(findings.findings.map((x) => `${x.connector ?? ''} ${x.title}: ${x.message}\n${x.remediation}`).join('\n'));
    assert.deepEqual(leaks(stableStringify(snapshot), secret).sort(), [...secret].sort(), 'the detector finds every original in the unredacted snapshot');
    assert.deepEqual(leaks(html, secret), [], 'HTML');
    assert.deepEqual(leaks(json, secret), [], 'JSON');
    assert.deepEqual(leaks(text, secret), [], 'text');
    // and the report is still a report of the same estate
    assert.equal(f.findings.length, findings.findings.length);
    assert.ok(html.includes('SRV01'));
  });

  it('leaves nothing behind when the findings are redacted before the snapshot', () => {
    const r = createRedactor();
    const f = r.redactFindings(findings);
    const s = r.redactSnapshot(snapshot);
    const html = renderReportHtml({ rules: RULE_INFO, snapshot: s, findings: f, policy: buildPolicy(s), generatedAt: NOW });
    assert.deepEqual(leaks(html, secret), []);
    assert.deepEqual(leaks(stableStringify(f), secret), []);
    const expired = f.findings.find((x) => x.rule === 'tls-certificate-expired');
    const cert = s.certificates.find((c) => c.notAfter.startsWith('2025-03-31'));
    assert.ok(expired !== undefined && cert !== undefined);
    assert.equal(expired.evidence.thumbprint, cert.thumbprint, 'the finding and the inventory name the same placeholder');
  });

  it('maps the same value to the same placeholder everywhere', () => {
    const r = createRedactor();
    const s = r.redactSnapshot(snapshot);
    const f = r.redactFindings(findings);
    const byOriginal = new Map(snapshot.connectors.map((c, i) => [c.identity, s.connectors[i]?.identity]));
    for (const x of f.findings) if (x.connector !== null) assert.ok([...byOriginal.values()].includes(x.connector), `${x.connector} is a redacted connector`);
    assert.equal(r.redactText('CMEX10A and cmex10a.corp.contoso-mfg.example'), `${s.servers[0]?.name} and ${s.servers[0]?.fqdn}`);
    assert.equal(createRedactor().redactText('10.1.2.3'), createRedactor().redactText('10.1.2.3'), 'deterministic per run');
  });

  it('keeps addresses valid, in the same family and order, and ranges inside a /16 the same size', () => {
    const r = createRedactor();
    const s = r.redactSnapshot(snapshot);
    snapshot.connectors.forEach((c, i) => {
      c.remoteIPRanges.forEach((range, j) => {
        const out = s.connectors[i]?.remoteIPRanges[j];
        assert.ok(out !== undefined);
        const [a, b, x, y] = [range.first, range.last, out.first, out.last].map((t) => parseAddress(t));
        assert.ok(a && b && x && y, `${out.first}-${out.last} are addresses`);
        assert.equal(x.family, a.family);
        assert.ok(x.value <= y.value, 'first ≤ last');
        if (a.family === 4 && a.value >> 16n === b.value >> 16n) assert.equal(y.value - x.value, b.value - a.value, `${range.expression} keeps its size`);
      });
    });
    const ips = ['10.20.40.23', '10.20.41.15', '10.20.60.10', '192.0.2.77', '198.51.100.20', '203.0.113.50'];
    const mapped = ips.map((ip) => r.redactText(ip));
    const values = mapped.map((m) => parseAddress(m)?.value ?? -1n);
    for (let i = 1; i < values.length; i += 1) assert.ok((values[i - 1] ?? 0n) < (values[i] ?? 0n), `${mapped.join(' < ')}`);
  });

  it('selects the same connectors for the same clients after redaction', () => {
    const r = createRedactor();
    const s = r.redactSnapshot(snapshot);
    const before = buildPolicy(snapshot);
    const after = buildPolicy(s);
    const serverOf = new Map(snapshot.servers.map((srv, i) => [srv.name, s.servers[i]?.name ?? '']));
    const identityOf = new Map(snapshot.connectors.map((c, i) => [c.identity, s.connectors[i]?.identity]));
    for (const ip of ['10.20.40.23', '10.20.41.15', '10.20.44.17', '10.20.60.10', '10.20.0.21', '192.0.2.77', '198.51.100.20', '203.0.113.50', '172.16.5.9', '192.168.1.20']) {
      for (const server of ['CMEX10A', 'CMEX10B', 'CMEX16A']) {
        const want = selectConnector(before, { server, port: 25 }, ip);
        const got = selectConnector(after, { server: serverOf.get(server) ?? '', port: 25 }, r.redactText(ip));
        assert.equal(got?.identity ?? null, want === null ? null : identityOf.get(want.identity), `${ip} on ${server}`);
      }
    }
  });
});

describe('redactText', () => {
  it('replaces addresses, e-mail addresses and host names in free text but not Microsoft links or times', () => {
    const r = createRedactor();
    const out = r.redactText('admin@fabrikam.example from 192.0.2.10 via [2001:db8::5]:25 at 10:12:03, see https://learn.microsoft.com/exchange; smtp.fabrikam.example; 0.0.0.0-255.255.255.255 [::]:25');
    assert.doesNotMatch(out, /fabrikam|192\.0\.2\.10|2001:db8/);
    assert.match(out, /mailbox01@domain1\.invalid/);
    assert.match(out, /10:12:03/);
    assert.match(out, /https:\/\/learn\.microsoft\.com\/exchange/);
    assert.match(out, /0\.0\.0\.0-255\.255\.255\.255 \[::\]:25$/);
    // A public address stays public (3fff::/20, documentation space), a private one private.
    assert.match(out, /\[3fff::5\]:25/);
  });
});
