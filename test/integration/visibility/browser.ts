/**
 * Headless Chromium for the monitoring page tests: Debian's `chromium` driven by playwright-core.
 * Without Chromium the browser tests are skipped, or fail under CI=true. Each page collects script
 * errors, console errors (Chromium reports CSP violations there), dialogs and every requested URL,
 * so a test can assert that nothing ran that should not have.
 */
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, type BrowserContext, type Page, chromium } from 'playwright-core';
import { afterAll, beforeAll } from 'vitest';

function findChromium(): string | undefined {
  for (const name of ['chromium', 'chromium-browser']) {
    try {
      return execFileSync('which', [name], { encoding: 'utf8' }).trim() || undefined;
    } catch {
      // try the next name
    }
  }
  return undefined;
}

export const executablePath = findChromium();
if (!executablePath && process.env['CI'] === 'true') {
  throw new Error('Chromium is needed for the /ui tests: install it with `sudo apt-get install chromium` (Debian/Ubuntu)');
}

/** Where screenshots go: HOOKPOST_TEST_ARTIFACTS or a temp dir. */
export const artifacts = process.env['HOOKPOST_TEST_ARTIFACTS'] ?? join(tmpdir(), 'hookpost-ui-artifacts');

/** Generous: the machine is a shared, loaded 2-core VM. */
export const SETTLE_MS = 30_000;

export interface WatchedPage {
  readonly page: Page;
  readonly context: BrowserContext;
  /** Script errors and console errors (CSP violations included). */
  readonly problems: string[];
  /** Every URL the page requested. */
  readonly requested: string[];
  /** Messages of alert/confirm/prompt dialogs (none should ever open). */
  readonly dialogs: string[];
}

/** Launches one browser for the file's tests. */
export function useBrowser(): () => Browser {
  let browser: Browser | undefined;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });
  return () => {
    if (!browser) throw new Error('the browser is not started');
    return browser;
  };
}

/** A fresh context and page that records problems; closed by `defer`. */
export async function openPage(
  browser: Browser,
  defer: (fn: () => Promise<void> | void) => void,
  options: { readonly timezoneId?: string } = {},
): Promise<WatchedPage> {
  const context = await browser.newContext({ viewport: { width: 1500, height: 1100 }, timezoneId: options.timezoneId ?? 'UTC' });
  defer(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(SETTLE_MS);
  const watched: WatchedPage = { page, context, problems: [], requested: [], dialogs: [] };
  page.on('request', (req) => watched.requested.push(req.url()));
  page.on('console', (msg) => {
    if (msg.type() === 'error') watched.problems.push(msg.text());
  });
  page.on('pageerror', (err) => watched.problems.push(err.message));
  page.on('dialog', (dialog) => {
    watched.dialogs.push(dialog.message());
    void dialog.dismiss();
  });
  return watched;
}

/** Opens `/ui/<hash>` and connects with `token` to `project` (typed in the form). */
export async function connect(page: Page, baseUrl: string, token: string, project = 'demo', hash = ''): Promise<void> {
  await page.goto(`${baseUrl}/ui/${hash}`);
  if (await page.locator('#project').isVisible()) await page.fill('#project', project);
  await page.fill('#token', token);
  await page.click('#connect');
  await page.locator('#app:not([hidden])').waitFor();
}

/** How many times the page has refreshed its data (auto-refresh included). */
export async function refreshes(page: Page): Promise<number> {
  return Number((await page.locator('body').getAttribute('data-refreshes')) ?? '0');
}

/** Waits until the page has refreshed `count` more times than now. */
export async function waitForRefreshes(page: Page, count: number): Promise<void> {
  const target = (await refreshes(page)) + count;
  const deadline = Date.now() + SETTLE_MS;
  while ((await refreshes(page)) < target) {
    if (Date.now() > deadline) throw new Error(`the page did not refresh ${count} more times within ${SETTLE_MS} ms`);
    await page.waitForTimeout(100);
  }
}
