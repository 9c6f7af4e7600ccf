/**
 * The monitoring page in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against the real engine and API: a delivery, a failure that becomes a dead letter, a re-delivery,
 * a webhook test, and a screenshot. Without Chromium the test is skipped, or fails under CI=true.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestEvent } from '../../helpers/engine.js';
import { startReceiver } from '../../helpers/index.js';
import { TOKEN, useStack } from './harness.js';

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

const executablePath = findChromium();
if (!executablePath && process.env['CI'] === 'true') {
  throw new Error('Chromium is needed for the /ui tests: install it with `sudo apt-get install chromium` (Debian/Ubuntu)');
}

/** Where the screenshot goes: HOOKPOST_TEST_ARTIFACTS or a temp dir. */
const artifacts = process.env['HOOKPOST_TEST_ARTIFACTS'] ?? join(tmpdir(), 'hookpost-ui-artifacts');

describe.skipIf(!executablePath)('monitoring page (/ui) in headless Chromium', () => {
  const { defer, stack } = useStack();
  let browser: Browser;
  beforeAll(async () => {
    browser = await chromium.launch({ executablePath, args: ['--no-sandbox'] });
  });
  afterAll(async () => {
    await browser?.close();
  });

  it('serves the page with a strict Content-Security-Policy and no token needed', async () => {
    const s = await stack();
    for (const path of ['/ui', '/ui/', '/ui/app.js', '/ui/style.css', '/ui/nope']) {
      const res = await fetch(`${s.url}${path}`);
      expect(res.headers.get('content-security-policy'), path).toBe(
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
      );
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.status, path).toBe(path === '/ui/nope' ? 404 : 200);
    }
    expect((await fetch(`${s.url}/ui/`)).headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect((await fetch(`${s.url}/ui/app.js`)).headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect((await fetch(`${s.url}/ui/..%2Fpackage.json`)).status).toBe(404);
  });

  it('clicks through a delivery, a failure, a re-delivery and a webhook test', async () => {
    const s = await stack();
    let failing = false;
    const r = await startReceiver(() =>
      failing ? { status: 500, body: 'receiver is down for maintenance' } : { status: 200, headers: { 'content-type': 'text/plain' }, body: 'thanks!' },
    );
    defer(() => r.close());
    const created = await s.call('POST', '/v2.1/projects/demo/webhooks', {
      name: 'orders',
      url: `${r.url}/hooks/orders`,
      version: 'v1',
      object_type: 'deployment',
      object_name: 'model',
      event: 'deployment_request_completed',
    });
    expect(created.status).toBe(201);

    const context = await browser.newContext({ viewport: { width: 1400, height: 1100 } });
    defer(() => context.close());
    const page = await context.newPage();
    const requested: string[] = [];
    const problems: string[] = [];
    page.on('request', (req) => requested.push(req.url()));
    const failedUrls: string[] = [];
    page.on('response', (res) => {
      if (res.status() >= 400) failedUrls.push(`${res.status()} ${res.url()}`);
    });
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(msg.text());
    });
    page.on('pageerror', (err) => problems.push(err.message));

    await page.goto(`${s.url}/ui/`);
    await page.fill('#project', 'demo');
    await page.fill('#token', TOKEN);
    await page.click('#connect');
    await page.locator('#webhooks tbody tr[data-webhook="orders"]').waitFor();

    // 1. A delivery arrives.
    await s.t.producer.publish(requestEvent({ request_id: 'ui-ok-1' }));
    const okRow = page.locator('#deliveries tbody tr', { hasText: 'ui-ok-1' });
    await okRow
      .locator('.outcome-success')
      .waitFor({ timeout: 15_000 })
      .catch(async (err) => {
        const listed = JSON.stringify((await s.call('GET', '/v2.1/projects/demo/deliveries')).json);
        const rows = await page.locator('#deliveries tbody').textContent();
        throw new Error(`${err.message}\nstatus: ${await page.locator('#status').textContent()}\nproblems: ${problems.join('; ')}\nreceived ${r.requests.length}; API: ${listed}\nrows: ${rows}\nfailed: ${failedUrls.join(' ')}`);
      });
    await okRow.click();
    await page.locator('#attempts tbody tr', { hasText: 'thanks!' }).waitFor();
    expect(await page.locator('#detail-summary').textContent()).toContain('orders · deployment_request_completed · request ui-ok-1');

    // 2. The receiver fails: the delivery fails (retry: false) and becomes a dead letter.
    failing = true;
    await s.t.producer.publish(requestEvent({ request_id: 'ui-fail-1' }));
    const failRow = page.locator('#deliveries tbody tr', { hasText: 'ui-fail-1' });
    await failRow.locator('.outcome-failed').waitFor({ timeout: 15_000 });
    await page.locator('#dead-letters tbody tr', { hasText: 'ui-fail-1' }).waitFor();
    await page.locator('#webhooks tbody tr[data-webhook="orders"]', { hasText: 'Received HTTP 500' }).waitFor();
    await failRow.click();
    await page.locator('#attempts tbody tr', { hasText: 'receiver is down for maintenance' }).waitFor();

    // 3. It recovers; re-deliver from the page: same delivery id, a new successful attempt.
    failing = false;
    await page.click('#redeliver');
    await page.locator('#redeliver-result', { hasText: 'Queued' }).waitFor();
    await page.locator('#attempts tbody tr .outcome-success').waitFor({ timeout: 15_000 });
    await page.locator('#dead-letters tbody', { hasText: 'No dead letters.' }).waitFor();
    const ids = r.requests.filter((q) => JSON.parse(q.body.toString()).request_id === 'ui-fail-1').map((q) => q.headers['hookpost-delivery-id']);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);

    // 4. A webhook test from the page.
    await page.click('#webhooks tbody tr[data-webhook="orders"] button');
    await page.locator('#test-result', { hasText: 'Test to orders: delivered.' }).waitFor({ timeout: 15_000 });

    mkdirSync(artifacts, { recursive: true });
    const shot = join(artifacts, 'ui-deliveries.png');
    await page.screenshot({ path: shot, fullPage: true });
    process.stdout.write(`screenshot: ${shot}\n`);

    // The token stays out of URLs and is kept for the tab only.
    expect(page.url()).toBe(`${s.url}/ui/`);
    expect(requested.filter((u) => u.includes(TOKEN))).toEqual([]);
    expect(await page.evaluate("sessionStorage.getItem('hookpost.token')")).toBe(TOKEN);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(s.t.logText()).not.toContain(TOKEN);
    // No script error and no CSP violation (Chromium reports those on the console).
    expect(problems).toEqual([]);
  });

  it('asks for the token again when the API refuses it', async () => {
    const s = await stack();
    const page = await browser.newPage();
    defer(() => page.close());
    await page.goto(`${s.url}/ui/`);
    await page.fill('#token', 'wrong-token-0123456789');
    await page.click('#connect');
    await page.locator('#status.error', { hasText: 'The API refused the token: invalid API token' }).waitFor();
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(await page.evaluate("sessionStorage.getItem('hookpost.token')")).toBeNull();
  });
});
