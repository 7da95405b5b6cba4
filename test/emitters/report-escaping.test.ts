// The rendered report with hostile customer values: everything from an export must arrive as
// text (never markup, script, attribute or Handlebars expression), and the page must validate.
import assert from 'node:assert/strict';
import { RULE_INFO } from '../../src/analyzers/rules/index.js';
import { describe, it } from 'node:test';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { HtmlValidate } from 'html-validate';
import { runAudit } from '../../src/analyzers/run.js';
import { importSources } from '../../src/importers/index.js';
import { decodeSource } from '../../src/source.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { renderReportHtml } from '../../src/emitters/report/index.js';
import type { Finding, FindingsDocument, Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { acceptedDomain, anonymousRelay, certificate, connector, defaultInstall, estate, permission, range } from '../helpers/build.js';

const SCRIPT = '<script>alert("x")</script>';
const IMG = '"><img src=x onerror=alert(1)>';
const CURLY = '{{constructor.constructor \'alert(1)\'}} {{7*7}}';
const STYLE_BREAK = '</style><script>alert(2)</script>';
const SINGLE = "O'Brien' onmouseover='alert(3)";



function hostileEstate(): Snapshot {
  const relayId = `EX01\\${SCRIPT}`;
  return estate(
    defaultInstall('2016', { server: 'EX01', ipAddress: '10.0.0.10' }),
    anonymousRelay({ identity: relayId, name: SCRIPT, server: 'EX01', transportRole: 'FrontendTransport',
      remoteIPRanges: [range('192.0.2.0/24')], banner: `220 ${IMG}`, fqdn: SINGLE }),
    connector({ identity: `EX01\\${CURLY}`, name: CURLY, server: 'EX01', transportRole: 'FrontendTransport', bindings: [{ address: '0.0.0.0', port: 2526 }],
      remoteIPRanges: [range('10.9.0.0/16')], banner: STYLE_BREAK, authMechanism: ['BasicAuth'], permissionGroups: ['ExchangeUsers'] }),
    permission({ identity: relayId, user: `CORP\\${IMG}`, extendedRights: ['ms-Exch-SMTP-Accept-Any-Sender'] }),
    acceptedDomain({ domainName: 'corp.example' }),
    certificate({ subject: `CN=${SCRIPT}`, server: 'EX01' }),
  );
}

function hostileFindings(): FindingsDocument {
  const base: Finding = {
    rule: 'anonymous-open-relay', severity: 'critical', server: 'EX01', connector: `EX01\\${SCRIPT}`,
    title: `Relay ${SCRIPT}`, message: `${IMG} ${CURLY}`,
    evidence: { [SINGLE]: [STYLE_BREAK, { expression: IMG, first: '192.0.2.0', last: '192.0.2.255' }], note: CURLY },
    remediation: `Set-ReceiveConnector -Identity '${SCRIPT}' # ${STYLE_BREAK}`,
    references: ['javascript:alert(4)', 'https://learn.microsoft.com/"onmouseover="alert(5)', 'data:text/html,<script>alert(6)</script>'],
  };
  const prose: Finding = { ...base, rule: 'basic-auth-without-tls', severity: 'high', connector: `EX01\\${CURLY}`, title: SINGLE, remediation: `Fix ${IMG} for <identity>` };
  return {
    schema: 'exrelay.findings/1', summary: { critical: 1, high: 1, medium: 0, low: 0, info: 0 }, findings: [base, prose],
    accepted: [{ finding: { ...base, severity: 'medium', title: STYLE_BREAK }, reason: SCRIPT, expires: IMG }],
    notRun: [{ rule: 'load-balancer-in-relay-range', missing: CURLY, export: STYLE_BREAK }],
  };
}

function render(): string {
  const snapshot = hostileEstate();
  const replay = {
    schema: 'exrelay.replay/1', summary: { total: 1, changed: 1 },
    results: [{ name: SCRIPT, changed: true,
      before: { name: SCRIPT, connector: IMG, outcome: 'accepted', replies: [{ stage: 'connect', code: 220, enhanced: null, text: CURLY }], recipients: [] },
      after: { name: SCRIPT, connector: null, outcome: 'refused', replies: [{ stage: 'connect', code: 421, enhanced: '4.3.2', text: STYLE_BREAK }], recipients: [] } }],
  };
  return renderReportHtml({ rules: RULE_INFO, snapshot, findings: hostileFindings(), policy: buildPolicy(snapshot), replay, generatedAt: new Date('2026-06-01T00:00:00Z') });
}

function files(dir: string): string[] {
  // logs/ holds the estate's protocol and tracking logs (read by `exrelay logs`, not exports).
  return readdirSync(dir).flatMap((n) => (n === 'logs' ? [] : statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

describe('the demo report', () => {
  it('validates (html-validate recommended rules)', async () => {
    const sources = files(join(REPO_ROOT, 'fixtures', 'estate-2010-2016')).sort().map((f) => decodeSource(f, readFileSync(f)));
    const snapshot = (await importSources(sources)).snapshot;
    const now = new Date('2026-06-01T00:00:00Z');
    const html = renderReportHtml({ rules: RULE_INFO, snapshot, findings: runAudit(snapshot, {}, now), policy: buildPolicy(snapshot), generatedAt: now });
    const report = await new HtmlValidate({ extends: ['html-validate:recommended'] }).validateString(html);
    assert.deepEqual(report.results.flatMap((r) => r.messages.map((m) => `${m.line}:${m.column} ${m.ruleId} ${m.message}`)), []);
    assert.ok(html.length > 50_000, 'a full report');
  });
});

describe('report escaping', () => {
  const html = render();

  it('never lets a customer value open a tag, a script or an event handler', () => {
    assert.equal((html.match(/<script/gi) ?? []).length, 0, 'no <script> at all');
    assert.equal((html.match(/<img/gi) ?? []).length, 0, 'no <img>');
    assert.equal((html.match(/<\/style>/gi) ?? []).length, 1, 'only the stylesheet closes a style element');
    assert.doesNotMatch(html, /\son[a-z]+\s*=/i, 'no event-handler attribute');
    for (const value of [SCRIPT, IMG, STYLE_BREAK, SINGLE]) assert.ok(!html.includes(value), `raw ${value} must not appear`);
  });

  it('shows the values as escaped text', () => {
    assert.ok(html.includes('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'));
    assert.ok(html.includes('&quot;&gt;&lt;img src&#x3D;x onerror&#x3D;alert(1)&gt;'));
    assert.ok(html.includes('O&#x27;Brien&#x27; onmouseover&#x3D;&#x27;alert(3)'));
  });

  it('does not evaluate {{ … }} in customer values (it stays literal text)', () => {
    assert.ok(html.includes("{{constructor.constructor &#x27;alert(1)&#x27;}} {{7*7}}"));
    assert.ok(!html.includes('>49<'));
  });

  it('links only plain http(s) references, quoted safely', () => {
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1] ?? '');
    assert.ok(hrefs.every((h) => h.startsWith('#') || h.startsWith('https://')), hrefs.filter((h) => !h.startsWith('#')).join(' '));
    assert.ok(!hrefs.some((h) => /^(javascript|data):/i.test(h)));
    assert.ok(html.includes('javascript:alert(4)'), 'the unsafe reference is still shown, as text');
  });

  it('has no external resource and forbids any by policy', () => {
    assert.doesNotMatch(html, /\b(src|srcset|action|background|poster|data)\s*=\s*"?(https?:|\/\/)/i);
    assert.doesNotMatch(html, /url\(\s*['"]?(https?:|\/\/)/i);
    assert.doesNotMatch(html, /@import/i);
    assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;|<meta http-equiv="Content-Security-Policy" content="default-src 'none'/);
  });

  it('validates (html-validate recommended rules: no unclosed or misnested elements)', async () => {
    const report = await new HtmlValidate({ extends: ['html-validate:recommended'] }).validateString(html);
    const messages = report.results.flatMap((r) => r.messages.map((m) => `${m.line}:${m.column} ${m.ruleId} ${m.message}`));
    assert.deepEqual(messages, []);
  });
});

