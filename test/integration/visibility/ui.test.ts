/**
 * The monitoring page in a real headless Chromium (Debian's `chromium`, driven by playwright-core)
 * against the real engine and API: its headers, a click-through (a delivery, a failure that becomes
 * a dead letter, a re-delivery, a webhook test, a screenshot), and one regression test per bug found
 * in Chromium (issue 21, point 3): switching project, "Older deliveries" under auto-refresh, attempt
 * numbers after a re-delivery, project-wide (UP42) webhooks, and a webhook that cannot be decrypted.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type WebhookCreate, createRegistry, createSecretsCipher } from '../../../src/registry/index.js';
import { eventually, requestEvent, testEncryptionKey } from '../../helpers/engine.js';
import { startReceiver } from '../../helpers/index.js';
import { SETTLE_MS, artifacts, connect, executablePath, openPage, useBrowser, waitForRefreshes } from './browser.js';
import { TEST_TOKEN as TOKEN, useStack } from '../../helpers/app.js';

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const hook = (name: string, url: string, over: Record<string, unknown> = {}) => ({
  name,
  url,
  version: 'v1',
  object_type: 'deployment',
  object_name: 'model',
  event: 'deployment_request_completed',
  ...over,
});

describe.skipIf(!executablePath)('monitoring page (/ui) in headless Chromium', { timeout: 120_000 }, () => {
  const { defer, stack } = useStack();
  const browser = useBrowser();

  it('serves the page with a strict Content-Security-Policy and no token needed', async () => {
    const s = await stack();
    for (const path of ['/ui', '/ui/', '/ui/app.js', '/ui/style.css', '/ui/nope']) {
      const res = await fetch(`${s.url}${path}`);
      expect(res.headers.get('content-security-policy'), path).toBe(CSP);
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
    expect((await s.call('POST', '/v2.1/projects/demo/webhooks', hook('orders', `${r.url}/hooks/orders`))).status).toBe(201);

    const { page, problems, requested } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    await page.locator('#webhooks tbody tr[data-webhook="orders"]').waitFor();

    // 1. A delivery arrives.
    await s.t.producer.publish(requestEvent({ request_id: 'ui-ok-1' }));
    const okRow = page.locator('#deliveries tbody tr', { hasText: 'ui-ok-1' });
    await okRow.locator('.outcome-success').waitFor();
    await okRow.click();
    await page.locator('#attempts tbody tr', { hasText: 'thanks!' }).waitFor();
    expect(await page.locator('#detail-summary').textContent()).toContain('orders · deployment_request_completed · request ui-ok-1');

    // 2. The receiver fails: the delivery fails (retry: false) and becomes a dead letter.
    failing = true;
    await s.t.producer.publish(requestEvent({ request_id: 'ui-fail-1' }));
    const failRow = page.locator('#deliveries tbody tr', { hasText: 'ui-fail-1' });
    await failRow.locator('.outcome-failed').waitFor();
    await page.locator('#dead-letters tbody tr', { hasText: 'ui-fail-1' }).waitFor();
    await page.locator('#webhooks tbody tr[data-webhook="orders"]', { hasText: 'Received HTTP 500' }).waitFor();
    await failRow.click();
    await page.locator('#attempts tbody tr', { hasText: 'receiver is down for maintenance' }).waitFor();

    // 3. It recovers; re-deliver from the page: same delivery id, a new successful attempt.
    failing = false;
    await page.click('#redeliver');
    await page.locator('#redeliver-result', { hasText: 'Queued' }).waitFor();
    await page.locator('#attempts tbody tr .outcome-success').waitFor();
    await page.locator('#dead-letters tbody', { hasText: 'No dead letters.' }).waitFor();
    const ids = r.requests.filter((q) => JSON.parse(q.body.toString()).request_id === 'ui-fail-1').map((q) => q.headers['hookpost-delivery-id']);
    expect(ids).toHaveLength(2);
    expect(ids[1]).toBe(ids[0]);

    // 4. A webhook test from the page.
    await page.click('#webhooks tbody tr[data-webhook="orders"] button.send-test');
    await page.locator('#webhooks tbody tr[data-webhook="orders"] ul.tests li[data-status="delivered"]').waitFor();

    mkdirSync(artifacts, { recursive: true });
    const shot = join(artifacts, 'ui-deliveries.png');
    await page.screenshot({ path: shot, fullPage: true });
    process.stdout.write(`screenshot: ${shot}\n`);

    // The token stays out of URLs and is kept for the tab only.
    expect(page.url().startsWith(`${s.url}/ui/#project=demo`)).toBe(true);
    expect(requested.filter((u) => u.includes(TOKEN))).toEqual([]);
    expect(await page.evaluate("sessionStorage.getItem('hookpost.token')")).toBe(TOKEN);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(s.t.logText()).not.toContain(TOKEN);
    // No script error and no CSP violation (Chromium reports those on the console).
    expect(problems).toEqual([]);
  });

  it('asks for the token again when the API refuses it', async () => {
    const s = await stack();
    const { page } = await openPage(browser(), defer);
    await page.goto(`${s.url}/ui/`);
    await page.fill('#token', 'wrong-token-0123456789');
    await page.click('#connect');
    await page.locator('#status.error', { hasText: 'The API refused the token: invalid API token' }).waitFor();
    expect(await page.locator('#app').isHidden()).toBe(true);
    expect(await page.evaluate("sessionStorage.getItem('hookpost.token')")).toBeNull();
  });

  it('bug: switches project with the token it holds, without typing it again', async () => {
    const s = await stack();
    expect((await s.call('POST', '/v2.1/projects/demo/webhooks', hook('alpha-hook', 'https://receiver.example/a'))).status).toBe(201);
    expect((await s.call('POST', '/v2.1/projects/other/webhooks', hook('beta-hook', 'https://receiver.example/b'))).status).toBe(201);
    const { page, problems } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN, 'demo');
    await page.locator('#webhooks tbody tr[data-webhook="alpha-hook"]').waitFor();

    // The token field is empty now (the token is kept for the tab): switching must still work.
    expect(await page.inputValue('#token')).toBe('');
    await page.fill('#project', 'other');
    await page.click('#connect');
    await page.locator('#webhooks tbody tr[data-webhook="beta-hook"]').waitFor();
    await page.locator('#status', { hasText: 'Project other' }).waitFor();
    expect(await page.locator('#webhooks tbody tr[data-webhook="alpha-hook"]').count()).toBe(0);
    expect(page.url()).toContain('#project=other');
    expect(problems).toEqual([]);
  });

  it('bug: "Older deliveries" stays loaded through auto-refreshes', async () => {
    const s = await stack();
    const r = await startReceiver(() => ({ status: 204 }));
    defer(() => r.close());
    expect((await s.call('POST', '/v2.1/projects/demo/webhooks', hook('many', `${r.url}/many`))).status).toBe(201);
    for (let i = 0; i < 30; i++) await s.t.producer.publish(requestEvent({ request_id: `older-${String(i).padStart(2, '0')}` }));
    await eventually(
      async () => (await s.call('GET', '/v2.1/projects/demo/deliveries?outcome=success&limit=100')).json.items.length === 30,
      SETTLE_MS,
      '30 deliveries in the attempt log',
    );

    const { page, problems } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    const rows = page.locator('#deliveries tbody tr[data-delivery]');
    await eventually(async () => (await rows.count()) === 25, SETTLE_MS, 'the first page of 25');
    await page.click('#more');
    await page.locator('#deliveries tbody tr', { hasText: 'older-00' }).waitFor();
    expect(await rows.count()).toBe(30);

    await waitForRefreshes(page, 3);
    expect(await rows.count()).toBe(30);
    expect(await page.locator('#deliveries tbody tr', { hasText: 'older-00' }).count()).toBe(1);
    expect(await page.isHidden('#more')).toBe(true);
    expect(problems).toEqual([]);
  });

  it('bug: attempt numbers go on after a re-delivery', async () => {
    const s = await stack();
    let failing = true;
    const r = await startReceiver(() => (failing ? { status: 500 } : { status: 204 }));
    defer(() => r.close());
    expect((await s.call('POST', '/v2.1/projects/demo/webhooks', hook('numbered', `${r.url}/n`))).status).toBe(201);
    await s.t.producer.publish(requestEvent({ request_id: 'numbered-1' }));

    const { page } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    const deliveryRow = page.locator('#deliveries tbody tr', { hasText: 'numbered-1' });
    await deliveryRow.locator('.outcome-failed').waitFor();
    await deliveryRow.click();
    await page.locator('#attempts tbody tr', { hasText: '#1' }).waitFor();

    failing = false;
    await page.click('#redeliver');
    const second = page.locator('#attempts tbody tr', { hasText: '#2' });
    await second.locator('.outcome-success').waitFor();
    expect(await second.textContent()).toContain('re-delivery');
    expect(await page.locator('#attempts tbody tr').allTextContents()).toHaveLength(2);
    expect(await page.locator('#attempts tbody tr', { hasText: '#1' }).locator('.outcome-failed').count()).toBe(1);

    // The API numbers them the same way: the attempt log counts across runs.
    const id = await deliveryRow.getAttribute('data-delivery');
    const detail = (await s.call('GET', `/v2.1/projects/demo/deliveries/${id}`)).json;
    expect(detail.attempts.map((a: { attempt: number; redelivery: boolean }) => [a.attempt, a.redelivery])).toEqual([
      [1, false],
      [2, true],
    ]);
  });

  it('bug: project-wide (UP42) webhooks are listed, filterable, and named on their deliveries', async () => {
    const s = await stack();
    const r = await startReceiver(() => ({ status: 204 }));
    defer(() => r.close());
    expect((await s.call('POST', '/v2.1/projects/demo/webhooks', hook('scoped', `${r.url}/scoped`))).status).toBe(201);
    const up42 = await s.call('POST', '/workspaces/demo/webhooks', {
      name: 'Everything hook',
      url: `${r.url}/everything`,
      events: ['deployment_request_completed', 'pipeline_request_failed'],
      active: true,
    });
    expect(up42.status).toBe(201);
    await s.t.producer.publish(requestEvent({ request_id: 'wide-1' }));

    const { page, problems } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    const wide = page.locator('#webhooks tbody tr[data-webhook="Everything hook"]');
    await wide.waitFor();
    expect(await wide.textContent()).toContain('project-wide');
    await page.locator('#deliveries tbody tr', { hasText: 'Everything hook' }).waitFor();

    await page.selectOption('#f-webhook', up42.json.data.id);
    await eventually(
      async () => {
        const texts = await page.locator('#deliveries tbody tr[data-delivery]').allTextContents();
        return texts.length === 1 && texts[0]?.includes('Everything hook');
      },
      SETTLE_MS,
      'only the project-wide webhook deliveries',
    );
    expect(problems).toEqual([]);
  });

  it('bug: a webhook whose secrets cannot be decrypted is listed as unreadable and the page keeps working', async () => {
    const s = await stack();
    const r = await startReceiver(() => ({ status: 204 }));
    defer(() => r.close());
    expect((await s.call('POST', '/v2.1/projects/demo/webhooks', hook('good', `${r.url}/good`))).status).toBe(201);
    // Written under a key this process does not have (as after a key file was replaced). On another
    // object: what the delivery path does with such a record is the engine's business, not the page's.
    const elsewhere = createRegistry({ redis: s.t.services.redis, keys: s.t.services.keys, cipher: createSecretsCipher([testEncryptionKey()]) });
    const locked = await elsewhere.create('demo', {
      ...(hook('locked', `${r.url}/locked`, { object_name: 'other-model' }) as WebhookCreate),
      headers: [{ key: 'Authorization', value: 'Bearer locked-away-0123', protected: true }],
      secret: 'locked-secret-value-0123456789',
    });

    const { page, problems } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    const row = page.locator('#webhooks tbody tr[data-webhook="locked"]');
    await row.waitFor();
    expect(await row.getAttribute('class')).toContain('unreadable');
    expect(await row.textContent()).toContain('cannot be decrypted');
    expect(await row.locator('button.send-test').count()).toBe(0);
    await page.locator('#webhooks tbody tr[data-webhook="good"] button.send-test').waitFor();

    // The rest works: a delivery to the readable webhook shows up.
    await s.t.producer.publish(requestEvent({ request_id: 'still-working' }));
    await page.locator('#deliveries tbody tr', { hasText: 'still-working' }).locator('.outcome-success').waitFor();
    expect(await page.locator('#status.error').count()).toBe(0);
    expect(problems).toEqual([]);
    const overview = (await s.call('GET', '/v2.1/projects/demo/webhooks-overview')).json as Array<Record<string, unknown>>;
    const entry = overview.find((w) => w['webhook_id'] === locked.id);
    expect(entry).toMatchObject({ name: 'locked', readable: false, headers: [{ key: 'Authorization', value: null, protected: true }] });
    expect(JSON.stringify(overview)).not.toContain('locked-away');
  });
});
