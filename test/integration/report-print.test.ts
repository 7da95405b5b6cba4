// The demo report as the person who signs it gets it: printed to A4 by real Chromium. The PDF
// must be at most a third of the pages the report printed on before findings were grouped by
// rule, lose nothing (every finding's rule, place and message is in the PDF's text), and leave
// no heading alone at the bottom of a page. The screenshot and the PDF stay in test-artifacts/.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { FindingsDocument } from '../../src/model.js';
import { runCli } from '../helpers/cli.js';
import { ARTIFACTS, chromiumSuite, inPage } from '../helpers/chromium.js';
import { requireTool } from '../helpers/tools.js';

/**
 * A4 pages of the demo report before this layout (commit 02d4088), measured exactly as this
 * test measures: `npm run build && npm run demo`, then report.html opened in Chromium 143
 * (playwright-core), print media emulated, `page.pdf({ format: 'A4', printBackground: true })`,
 * counting `/Type /Page` objects: 33 pages. (`chromium --headless --no-sandbox
 * --no-pdf-header-footer --print-to-pdf=base.pdf report.html` printed the same report on 36.)
 */
const BASELINE_A4_PAGES = 33;

/** Page objects of a PDF (not the /Pages tree nodes). */
function pdfPageCount(pdf: Buffer): number {
  return pdf.toString('latin1').match(/\/Type\s*\/Page(?![s\w])/g)?.length ?? 0;
}

/** Text compared without any whitespace: a line wrapped in the PDF is the same text. */
// Compared without white space and hyphens: pdftotext joins a word broken after a hyphen at the
// end of a line and drops that hyphen (`ms-Exch-` + `SMTP` becomes `ms-ExchSMTP`).
function squash(text: string): string {
  return text.normalize('NFKC').replace(/[\s\u00ad-]+/g, '');
}

describe('the demo report printed by Chromium', () => {
  const suite = chromiumSuite('exrelay-print-');

  it(`prints on at most a third of ${BASELINE_A4_PAGES} A4 pages, non-blank, with every finding and no orphaned heading`, async (t) => {
    const b = suite.need(t);
    if (b === null) return;
    const pdftotext = requireTool(t, 'pdftotext');
    if (pdftotext === null) return;

    // The report exactly as `npm run demo` writes it (the built CLI), and its findings as JSON.
    const out = join(suite.work(), 'report.html');
    const html = await runCli(['audit', 'fixtures/estate-2010-2016', '--format', 'html', '--out', out]);
    assert.equal(html.exitCode, 0, `the demo report is written (run npm run build first): ${html.stderr}`);
    const json = await runCli(['audit', 'fixtures/estate-2010-2016', '--format', 'json']);
    assert.equal(json.exitCode, 0, json.stderr);
    const findings = JSON.parse(json.stdout) as FindingsDocument;
    assert.ok(findings.findings.length >= 30, 'the demo estate has findings to print');

    const page = await b.newPage({ viewport: { width: 1280, height: 900 } });
    await page.route('**', async (route) => { await route.abort(); });
    await page.setContent(readFileSync(out, 'utf8'), { waitUntil: 'load' });

    // The screenshot shows a report, not an empty or single-colour page.
    const png = await page.screenshot({ path: join(ARTIFACTS, 'report-print-screen.png') });
    const probe = await b.newPage();
    await probe.setContent('<canvas></canvas>');
    const colours = await inPage<number>(probe, `new Promise((resolve, reject) => {
      const img = new Image();
      img.onload = () => {
        const c = document.querySelector('canvas'); c.width = img.width; c.height = img.height;
        const ctx = c.getContext('2d'); ctx.drawImage(img, 0, 0);
        const d = ctx.getImageData(0, 0, img.width, img.height).data; const seen = new Set();
        for (let i = 0; i < d.length; i += 4 * 7) seen.add((d[i] << 16) | (d[i + 1] << 8) | d[i + 2]);
        resolve(seen.size);
      };
      img.onerror = () => reject(new Error('screenshot is not an image'));
      img.src = 'data:image/png;base64,${png.toString('base64')}';
    })`);
    await probe.close();
    assert.ok(colours > 20, `the screenshot has content (${colours} distinct colours sampled)`);

    // The PDF, as a customer prints it (the stylesheet's @page is A4).
    await page.emulateMedia({ media: 'print' });
    const headings = await inPage<string[]>(page, `[...document.querySelectorAll('h1, h2, h3, section > h2 + p, article.finding .meta')].map((h) => h.textContent || '')`);
    const pdf = await page.pdf({ format: 'A4', printBackground: true });
    await page.close();
    const pdfPath = join(ARTIFACTS, 'report-print.pdf');
    writeFileSync(pdfPath, pdf);
    const pages = pdfPageCount(pdf);
    t.diagnostic(`demo report: ${pages} A4 pages (baseline ${BASELINE_A4_PAGES})`);
    assert.ok(pages >= 1);
    assert.ok(pages <= Math.floor(BASELINE_A4_PAGES / 3), `${pages} pages; at most ${Math.floor(BASELINE_A4_PAGES / 3)} (a third of ${BASELINE_A4_PAGES})`);

    const extracted = spawnSync(pdftotext, ['-enc', 'UTF-8', pdfPath, '-'], { encoding: 'utf8' });
    assert.equal(extracted.status, 0, extracted.stderr);
    const pageTexts = extracted.stdout.split('\f');
    const text = squash(extracted.stdout);

    // Nothing lost: every finding's rule, where it is and what it says are printed.
    for (const f of findings.findings) {
      const place = f.connector ?? (f.server === null ? 'Organisation-wide' : `server ${f.server}`);
      assert.ok(text.includes(squash(f.rule)), `rule ${f.rule} is printed`);
      assert.ok(text.includes(squash(place)), `${place} (${f.rule}) is printed`);
      const said = f.connector === null ? f.message : f.message.startsWith(`${f.connector}: `) ? f.message.slice(f.connector.length + 2)
        : f.message.startsWith(`${f.connector} `) ? f.message.slice(f.connector.length + 1) : f.message;
      assert.ok(text.includes(squash(said)), `the message of ${f.rule} on ${place} is printed: ${said}`);
    }

    // No heading ends a page: the last line of every page but the last is not (part of) one.
    const heads = headings.map(squash).filter((h) => h.length > 0);
    pageTexts.slice(0, -1).forEach((pageText, i) => {
      const lines = pageText.split('\n').map(squash).filter((l) => l.length > 0);
      const last = lines[lines.length - 1] ?? '';
      const orphan = heads.find((h) => h === last || (last.length >= 12 && h.includes(last)));
      assert.equal(orphan, undefined, `page ${i + 1} ends with the heading "${orphan ?? ''}"`);
    });
  });
});
