// The demo report in a real browser (Debian's chromium driven by playwright-core): every finding
// is there and visible, nothing is fetched, nothing logs an error, hostile values stay text.
// Screenshots and a PDF print are kept in test-artifacts/ for people to look at.
import assert from 'node:assert/strict';
import { RULE_INFO } from '../../src/analyzers/rules/index.js';
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { runAudit } from '../../src/analyzers/run.js';
import { renderReportHtml } from '../../src/emitters/report/index.js';
import { importSources } from '../../src/importers/index.js';
import type { FindingsDocument, Snapshot } from '../../src/model.js';
import { buildPolicy } from '../../src/policy/index.js';
import { decodeSource } from '../../src/source.js';
import { anonymousRelay, connector, defaultInstall, estate, permission, range } from '../helpers/build.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { ARTIFACTS, chromiumSuite, inPage } from '../helpers/chromium.js';

const ESTATE = join(REPO_ROOT, 'fixtures', 'estate-2010-2016');

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => (statSync(join(dir, n)).isDirectory() ? files(join(dir, n)) : [join(dir, n)]));
}

/** The demo report as `npm run demo` makes it (the real CLI), with its findings as JSON. */
async function demoReport(work: string): Promise<{ html: string; findings: FindingsDocument }> {
  const out = join(work, 'report.html');
  const html = await runCli(['audit', 'fixtures/estate-2010-2016', '--format', 'html', '--out', out]);
  const json = await runCli(['audit', 'fixtures/estate-2010-2016', '--format', 'json']);
  if (html.exitCode === 0 && json.exitCode === 0) return { html: readFileSync(out, 'utf8'), findings: JSON.parse(json.stdout) as FindingsDocument };
  // The CLI is not built here (or audit cannot write HTML yet): render the same estate in-process.
  const snapshot = (await importSources(files(ESTATE).sort().map((f) => decodeSource(f, readFileSync(f))))).snapshot;
  const findings = runAudit(snapshot, {}, new Date());
  return { html: renderReportHtml({ rules: RULE_INFO, snapshot, findings, policy: buildPolicy(snapshot), generatedAt: new Date() }), findings };
}

const HOSTILE_NAME = '<script>window.__pwned = 1</script><img src="https://attacker.example/x.png" onerror="window.__pwned = 2">';
const HOSTILE_BANNER = '220 </style><style>body{display:none}</style><iframe src="https://attacker.example/"></iframe>';
const HOSTILE_USER = 'CORP\\"><svg onload="window.__pwned=3">{{constructor}}';

function hostileReport(): string {
  const identity = `EX01\\${HOSTILE_NAME}`;
  const snapshot: Snapshot = estate(
    defaultInstall('2016', { server: 'EX01', ipAddress: '10.0.0.10' }),
    anonymousRelay({ identity, name: HOSTILE_NAME, server: 'EX01', transportRole: 'FrontendTransport', remoteIPRanges: [range('192.0.2.0/24')], banner: HOSTILE_BANNER }),
    connector({ identity: 'EX01\\Apps javascript:alert(1)', name: 'Apps javascript:alert(1)', server: 'EX01', transportRole: 'FrontendTransport',
      bindings: [{ address: '0.0.0.0', port: 2526 }], remoteIPRanges: [range('10.9.0.0/16')], banner: HOSTILE_BANNER }),
    permission({ identity, user: HOSTILE_USER, extendedRights: ['ms-Exch-SMTP-Accept-Any-Sender'] }),
  );
  const findings: FindingsDocument = {
    schema: 'exrelay.findings/1', summary: { critical: 1, high: 0, medium: 0, low: 0, info: 0 },
    findings: [{ rule: 'anonymous-open-relay', severity: 'critical', server: 'EX01', connector: identity, title: `Open relay ${HOSTILE_NAME}`,
      message: HOSTILE_BANNER, evidence: { user: HOSTILE_USER }, remediation: `Set-ReceiveConnector -Identity '${HOSTILE_NAME}'`,
      references: ['javascript:window.__pwned=4', 'https://learn.microsoft.com/exchange'] }],
  };
  return renderReportHtml({ rules: RULE_INFO, snapshot, findings, policy: buildPolicy(snapshot), generatedAt: new Date('2026-06-01T00:00:00Z') });
}

interface Watch { requests: string[]; errors: string[] }

/** Opens HTML as the only document of a fresh page; every other request is counted and refused. */
async function open(browser: Browser, html: string, watch: Watch, width = 1280): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.on('console', (m) => { if (m.type() === 'error') watch.errors.push(m.text()); });
  page.on('pageerror', (e) => watch.errors.push(e.message));
  await page.route('**', async (route) => { watch.requests.push(route.request().url()); await route.abort(); });
  await page.setContent(html, { waitUntil: 'load' });
  return page;
}

describe('the HTML report in headless Chromium', () => {
  const suite = chromiumSuite('exrelay-report-');

  it('shows every finding of the demo estate, fetches nothing and logs no error', async (t) => {
    const b = suite.need(t);
    if (b === null) return;
    const { html, findings } = await demoReport(suite.work());
    assert.ok(findings.findings.length >= 10, 'the demo estate has findings to show');
    const watch: Watch = { requests: [], errors: [] };
    const page = await open(b, html, watch);
    await page.screenshot({ path: join(ARTIFACTS, 'report-demo.png') });
    await page.screenshot({ path: join(ARTIFACTS, 'report-demo-full.png'), fullPage: true });

    // One card per rule and severity; every finding is a visible row of its rule's card.
    const shown = await inPage<Array<{ rule: string; severity: string; place: string; visible: boolean }>>(page, `
      [...document.querySelectorAll('article.finding')].flatMap((a) => {
        const rule = (a.querySelector('.meta code') || {}).textContent || '';
        const severity = ((a.className.match(/b-(\\w+)/) || [])[1]) || '';
        return [...a.querySelectorAll('tr.place')].map((tr) => {
          const r = tr.getBoundingClientRect();
          const style = getComputedStyle(tr);
          return { rule, severity, place: (tr.querySelector('td.where') || {}).textContent || '', visible: r.width > 0 && r.height > 0 && style.visibility === 'visible' && style.display !== 'none' };
        });
      })`);
    assert.equal(shown.length, findings.findings.length, 'one row per finding');
    const cards = await inPage<number>(page, `document.querySelectorAll('article.finding').length`);
    assert.equal(cards, new Set(findings.findings.map((f) => `${f.severity} ${f.rule}`)).size, 'one card per rule and severity');
    const unmatched = [...shown];
    for (const f of findings.findings) {
      const place = f.connector ?? (f.server === null ? 'Organisation-wide' : `server ${f.server}`);
      const i = unmatched.findIndex((s) => s.rule === f.rule && s.severity === f.severity && s.place.trim() === place);
      assert.ok(i >= 0, `finding ${f.rule} on ${place} has a row in its rule's card`);
      assert.ok(unmatched[i]?.visible, `row of ${f.rule} on ${place} is visible`);
      unmatched.splice(i, 1);
    }
    // Navigation by anchors reaches every section.
    for (const id of await inPage<string[]>(page, `[...document.querySelectorAll('nav.toc a')].map((a) => a.getAttribute('href') || '')`)) {
      assert.ok(await page.$(id) !== null, `nav target ${id} exists`);
    }
    const svgs = await inPage<number>(page, `[...document.querySelectorAll('svg')].filter((s) => s.getBoundingClientRect().width > 0).length`);
    assert.ok(svgs >= 2, 'the severity chart and at least one address map are drawn');
    assert.deepEqual(watch.requests, [], 'no request left the page');
    assert.deepEqual(watch.errors, [], 'no console error');

    // Printing (the customer's PDF) works with the print stylesheet.
    await page.emulateMedia({ media: 'print' });
    assert.equal(await inPage<string>(page, `getComputedStyle(document.querySelector('nav.toc')).display`), 'none', 'navigation is not printed');
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    writeFileSync(join(ARTIFACTS, 'report-demo.pdf'), pdf);
    assert.equal(pdf.subarray(0, 4).toString('latin1'), '%PDF');
    assert.deepEqual(watch.requests, [], 'printing fetched nothing either');
    await page.close();
  });

  it('keeps hostile customer values as text: no element, script, frame or handler comes from them', async (t) => {
    const b = suite.need(t);
    if (b === null) return;
    const watch: Watch = { requests: [], errors: [] };
    const page = await open(b, hostileReport(), watch);
    await page.screenshot({ path: join(ARTIFACTS, 'report-hostile.png'), fullPage: true });
    const dom = await inPage<{ scripts: number; images: number; styles: number; handlers: string[]; jsLinks: string[]; pwned: number; bodyShown: boolean; text: string }>(page, `({
      scripts: document.querySelectorAll('script').length,
      images: document.querySelectorAll('img, iframe, object, embed').length,
      styles: document.querySelectorAll('style').length,
      handlers: [...document.querySelectorAll('*')].flatMap((e) => [...e.attributes].filter((a) => a.name.startsWith('on')).map((a) => e.tagName + '@' + a.name)),
      jsLinks: [...document.querySelectorAll('a[href]')].map((a) => a.getAttribute('href') || '').filter((h) => !h.startsWith('#') && !h.startsWith('https://')),
      pwned: window.__pwned || 0,
      bodyShown: getComputedStyle(document.body).display !== 'none',
      text: document.body.innerText,
    })`);
    assert.equal(dom.scripts, 0);
    assert.equal(dom.images, 0);
    assert.equal(dom.styles, 1, 'only the report\'s own stylesheet');
    assert.deepEqual(dom.handlers, []);
    assert.deepEqual(dom.jsLinks, []);
    assert.equal(dom.pwned, 0);
    assert.ok(dom.bodyShown);
    assert.ok(dom.text.includes('<script>window.__pwned = 1</script>'), 'the hostile name is shown as text');
    assert.ok(dom.text.includes('{{constructor}}'));
    assert.ok(dom.text.includes('javascript:window.__pwned=4'), 'the unsafe reference is shown, not linked');
    assert.deepEqual(watch.requests, [], 'nothing was fetched');
    assert.deepEqual(watch.errors, []);
    await page.close();
  });
});
