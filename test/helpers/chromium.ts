// Real Chromium (Debian's package, driven by playwright-core) for the report's integration tests:
// one browser per suite, a scratch folder, and the CI rule (missing in CI is a failure, outside
// CI a skip with the reason).
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { REPO_ROOT } from './cli.js';
import { findTool } from './tools.js';

/** Screenshots and PDFs kept for people to look at. */
export const ARTIFACTS = join(REPO_ROOT, 'test-artifacts');
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];

export interface ChromiumSuite {
  /** The browser, or null after skipping the test (outside CI, when chromium is not installed). */
  need(t: { skip(reason: string): void }): Browser | null;
  /** A scratch folder of this suite, removed after it. */
  work(): string;
}

/** Registers the suite's before/after hooks: call it inside `describe`. */
export function chromiumSuite(prefix: string): ChromiumSuite {
  let browser: Browser | null = null;
  let work = '';
  before(async () => {
    const executablePath = findTool('chromium');
    if (executablePath === null) return;
    work = mkdtempSync(join(tmpdir(), prefix));
    mkdirSync(ARTIFACTS, { recursive: true });
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS });
  });
  after(async () => {
    await browser?.close();
    if (work !== '') rmSync(work, { recursive: true, force: true });
  });
  return {
    need(t) {
      if (browser !== null) return browser;
      if (process.env.CI === 'true') throw new Error('chromium is required in CI (install it in .ci/run)');
      t.skip('chromium is not installed (CI installs it; see .ci/run)');
      return null;
    },
    work: () => work,
  };
}

/** Runs browser-side code given as text (the project compiles without the DOM library). */
export async function inPage<T>(page: Page, expression: string): Promise<T> {
  const value: T = await page.evaluate(expression);
  return value;
}
