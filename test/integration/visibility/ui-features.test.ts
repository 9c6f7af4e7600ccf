/**
 * What the monitoring page lets a person do (issue 21, point 3), each driven in headless Chromium
 * against the real engine and API: read a delivery (target, request headers with protected values
 * masked, payload, each attempt's status, duration, error code and response excerpt), retry a
 * delivery and re-drive a dead letter from their rows, filter by webhook, event, outcome and time
 * range with the view kept in the address, send a test event and watch its result arrive, read
 * each webhook's success rate and p50/p99 latency charts, and open a page with a project-scoped token.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually, requestEvent, sleep } from '../../helpers/engine.js';
import { startReceiver } from '../../helpers/index.js';
import { SETTLE_MS, artifacts, connect, executablePath, openPage, useBrowser } from './browser.js';
import { type Stack, TEST_TOKEN as TOKEN, useStack } from '../../helpers/app.js';

const hook = (name: string, url: string, over: Record<string, unknown> = {}) => ({
  name,
  url,
  version: 'v1',
  object_type: 'deployment',
  object_name: 'model',
  event: 'deployment_request_completed',
  ...over,
});

async function createHook(s: Stack, body: Record<string, unknown>, project = 'demo'): Promise<{ id: string; name: string }> {
  const res = await s.call('POST', `/v2.1/projects/${project}/webhooks`, body);
  expect(res.status, JSON.stringify(res.json)).toBe(201);
  return res.json;
}

/** The delivery ids of the rows the page shows, top to bottom. */
const shownRequests = async (page: import('playwright-core').Page) =>
  (await page.locator('#deliveries tbody tr[data-delivery] td:nth-child(4)').allTextContents()).sort();

describe.skipIf(!executablePath)('monitoring page features in headless Chromium', { timeout: 120_000 }, () => {
  const { defer, stack } = useStack();
  const browser = useBrowser();

  it("shows a delivery's target, request headers (protected masked), payload, and each attempt's status, duration, error code and excerpt", async () => {
    const s = await stack();
    const r = await startReceiver((_req, n) =>
      n === 0
        ? { status: 503, headers: { 'content-type': 'text/plain' }, body: 'busy, try again' }
        : { status: 200, headers: { 'content-type': 'application/json' }, body: '{"received":true}' },
    );
    defer(() => r.close());
    await createHook(
      s,
      hook('detailed', `${r.url}/hooks/detailed?tenant=t1`, {
        headers: [
          { key: 'Authorization', value: 'Bearer protected-value-4711', protected: true },
          { key: 'X-Team', value: 'ml-platform', protected: false },
        ],
        retry: true,
        include_result: true,
      }),
    );
    await s.t.producer.publish(requestEvent({ request_id: 'detail-1', result: { label: 'positive', score: 0.93 } }));
    await r.waitForRequests(2, SETTLE_MS);

    const { page, problems } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    const deliveryRow = page.locator('#deliveries tbody tr', { hasText: 'detail-1' });
    await deliveryRow.locator('.outcome-success').waitFor();
    await deliveryRow.click();

    // Target and request headers.
    await page.locator('#request-target', { hasText: `${r.url}/hooks/detailed?tenant=t1` }).waitFor();
    expect(await page.locator('#request-target').textContent()).toContain('POST');
    const header = (name: string) => page.locator(`#request-headers tbody tr[data-header="${name}"] td:nth-child(2)`);
    expect(await header('authorization').textContent()).toBe('•••••• (protected)');
    expect(await header('x-team').textContent()).toBe('ml-platform');
    const received = r.requests[1];
    expect(await header('hookpost-delivery-id').textContent()).toBe(received?.headers['hookpost-delivery-id']);
    expect(await header('content-digest').textContent()).toBe(received?.headers['content-digest']);
    expect(await header('signature').textContent()).toBe('set on each attempt');

    // The payload, as the receiver got it.
    const shownPayload = JSON.parse((await page.locator('#request-body').textContent()) ?? '');
    expect(shownPayload).toEqual(JSON.parse(received?.body.toString() ?? ''));
    expect(shownPayload.result).toEqual({ label: 'positive', score: 0.93 });

    // Each attempt: number, outcome, HTTP status, error code, duration, response excerpt.
    const first = page.locator('#attempts tbody tr').nth(0);
    const second = page.locator('#attempts tbody tr').nth(1);
    await second.waitFor();
    const cells = async (row: typeof first) => row.locator('td').allTextContents();
    const [n1, , d1, o1, h1, c1, , , x1] = await cells(first);
    expect([n1, o1, h1, c1, x1]).toEqual(['#1', 'retrying', '503', 'HTTP_503', 'busy, try again']);
    expect(d1).toMatch(/^\d+(\.\d)? ms$/);
    const [n2, , d2, o2, h2, c2, , , x2] = await cells(second);
    expect([n2, o2, h2, c2, x2]).toEqual(['#2', 'success', '200', '—', '{"received":true}']);
    expect(d2).toMatch(/^\d+(\.\d)? ms$/);

    // The protected value is nowhere in the page nor in what the API sent it.
    expect(await page.content()).not.toContain('protected-value-4711');
    const request = await s.call('GET', `/v2.1/projects/demo/deliveries/${await deliveryRow.getAttribute('data-delivery')}/request`);
    expect(JSON.stringify(request.json)).not.toContain('protected-value-4711');
    expect(problems).toEqual([]);
  });

  it('retries one delivery from its row', async () => {
    const s = await stack();
    const r = await startReceiver(() => ({ status: 204 }));
    defer(() => r.close());
    await createHook(s, hook('retried', `${r.url}/retried`));
    await s.t.producer.publish(requestEvent({ request_id: 'retry-me' }));
    await s.t.producer.publish(requestEvent({ request_id: 'leave-me' }));

    const { page, problems } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    const retryRow = page.locator('#deliveries tbody tr', { hasText: 'retry-me' });
    await retryRow.locator('.outcome-success').waitFor();
    await page.locator('#deliveries tbody tr', { hasText: 'leave-me' }).locator('.outcome-success').waitFor();
    const id = await retryRow.getAttribute('data-delivery');
    await retryRow.locator('button.retry').click();
    await page.locator('#deliveries-result', { hasText: `Delivery ${id} queued again` }).waitFor();

    // The same delivery id again, the other delivery untouched; the row counts 2 attempts.
    await eventually(() => r.requests.filter((q) => q.headers['hookpost-delivery-id'] === id).length === 2, SETTLE_MS, 'the retried delivery');
    await page.locator(`#deliveries tbody tr[data-delivery="${id}"] td:nth-child(6)`, { hasText: '2' }).waitFor();
    expect(r.requests.filter((q) => JSON.parse(q.body.toString()).request_id === 'leave-me')).toHaveLength(1);
    expect(problems).toEqual([]);
  });

  it('re-drives a dead letter from its row', async () => {
    const s = await stack();
    let failing = true;
    const r = await startReceiver(() => ({ status: failing ? 500 : 204 }));
    defer(() => r.close());
    await createHook(s, hook('dead', `${r.url}/dead`));
    await s.t.producer.publish(requestEvent({ request_id: 'dead-1' }));
    await s.t.producer.publish(requestEvent({ request_id: 'dead-2' }));

    const { page, problems } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    const letter = page.locator('#dead-letters tbody tr', { hasText: 'dead-1' });
    await letter.waitFor();
    await page.locator('#dead-letters tbody tr', { hasText: 'dead-2' }).waitFor();
    const id = await letter.getAttribute('data-delivery');
    failing = false;
    await letter.locator('button.redrive').click();
    await page.locator('#redrive-result', { hasText: `Dead letter ${id} re-driven` }).waitFor();

    // It leaves the dead letters, is delivered with its delivery id; the other one stays.
    await page.locator(`#dead-letters tbody tr[data-delivery="${id}"]`).waitFor({ state: 'detached' });
    await page.locator(`#deliveries tbody tr[data-delivery="${id}"] .outcome-success`).waitFor();
    expect(await page.locator('#dead-letters tbody tr', { hasText: 'dead-2' }).count()).toBe(1);
    expect(r.requests.filter((q) => q.headers['hookpost-delivery-id'] === id)).toHaveLength(2);
    expect(problems).toEqual([]);
  });

  it('filters by webhook, event, outcome and time range, and the address shares the view', async () => {
    const s = await stack();
    const r = await startReceiver((req) => ({ status: req.path.startsWith('/beta') ? 500 : 204 }));
    defer(() => r.close());
    const alpha = await createHook(s, hook('alpha', `${r.url}/alpha`));
    await createHook(s, hook('beta', `${r.url}/beta`, { event: 'deployment_request_failed' }));

    await s.t.producer.publish(requestEvent({ request_id: 'early-ok' }));
    await eventually(async () => (await s.call('GET', '/v2.1/projects/demo/deliveries')).json.items.length === 1, SETTLE_MS, 'the first delivery');
    // A whole second between the two groups: the page's time inputs count in seconds.
    await sleep(1_100);
    const boundary = new Date(Math.ceil(Date.now() / 1000) * 1000);
    while (Date.now() <= boundary.getTime() + 50) await sleep(50);
    await s.t.producer.publish(requestEvent({ request_id: 'late-ok' }));
    await s.t.producer.publish(requestEvent({ request_id: 'late-failed', status: 'failed', error_message: 'model crashed' }));
    await eventually(async () => (await s.call('GET', '/v2.1/projects/demo/deliveries')).json.items.length === 3, SETTLE_MS, 'three deliveries');

    const { page, problems } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    await eventually(async () => (await shownRequests(page)).length === 3, SETTLE_MS, 'three rows');
    const showsOnly = (expected: string[]) =>
      eventually(async () => JSON.stringify(await shownRequests(page)) === JSON.stringify([...expected].sort()), SETTLE_MS, `rows ${expected.join(', ')}`);

    await page.selectOption('#f-webhook', alpha.id);
    await showsOnly(['early-ok', 'late-ok']);
    await page.selectOption('#f-webhook', '');
    await page.selectOption('#f-event', 'deployment_request_failed');
    await showsOnly(['late-failed']);
    await page.selectOption('#f-event', '');
    await page.selectOption('#f-outcome', 'success');
    await showsOnly(['early-ok', 'late-ok']);
    const local = boundary.toISOString().slice(0, 19); // the page runs in UTC
    await page.fill('#f-from', local);
    await page.click('#apply-filters');
    await showsOnly(['late-ok']);
    await page.fill('#f-from', '');
    await page.fill('#f-to', local);
    await page.click('#apply-filters');
    await showsOnly(['early-ok']);

    // The view is in the address: webhook, event, outcome, time range and the open delivery.
    await page.fill('#f-to', '');
    await page.fill('#f-from', local);
    await page.selectOption('#f-webhook', alpha.id);
    await showsOnly(['late-ok']);
    await page.locator('#deliveries tbody tr', { hasText: 'late-ok' }).click();
    await page.locator('#detail-summary', { hasText: 'late-ok' }).waitFor();
    const shared = page.url();
    const hash = new URLSearchParams(new URL(shared).hash.slice(1));
    expect(hash.get('project')).toBe('demo');
    expect(hash.get('webhook')).toBe(alpha.id);
    expect(hash.get('outcome')).toBe('success');
    expect(hash.get('from')).toBe(boundary.toISOString());
    expect(hash.get('delivery')).toMatch(/^[0-9a-f-]{36}$/);
    expect(shared).not.toContain(TOKEN);

    // Someone else opens the link (a new tab: it types its own token) and sees the same view.
    const other = await openPage(browser(), defer);
    await connect(other.page, s.url, TOKEN, 'demo', new URL(shared).hash);
    await eventually(async () => JSON.stringify(await shownRequests(other.page)) === '["late-ok"]', SETTLE_MS, 'the shared view');
    expect(await other.page.inputValue('#f-webhook')).toBe(alpha.id);
    expect(await other.page.inputValue('#f-outcome')).toBe('success');
    expect(await other.page.inputValue('#f-from')).toBe(local);
    await other.page.locator('#detail-summary', { hasText: 'late-ok' }).waitFor();
    expect(problems).toEqual([]);
    expect(other.problems).toEqual([]);
  });

  it('sends a test event to a webhook and shows its result as it arrives', async () => {
    const s = await stack();
    let release: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    const r = await startReceiver(async (req) => {
      if (req.path.startsWith('/broken')) return { status: 500, body: 'nope' };
      await held;
      return { status: 204 };
    });
    defer(() => r.close());
    defer(() => release());
    await createHook(s, hook('slow', `${r.url}/slow`, { events: ['deployment_request_completed', 'deployment_request_failed'], event: undefined }));
    await createHook(s, hook('broken', `${r.url}/broken`));

    const { page, problems } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    const slow = page.locator('#webhooks tbody tr[data-webhook="slow"]');
    await slow.locator('button.send-test').click();
    // One test per subscribed event, pending while the receiver holds them.
    await eventually(async () => (await slow.locator('ul.tests li[data-status="pending"]').count()) === 2, SETTLE_MS, 'two pending tests');
    await r.waitForRequests(2, SETTLE_MS);
    expect(await slow.locator('ul.tests li[data-status="delivered"]').count()).toBe(0);
    release();
    await eventually(async () => (await slow.locator('ul.tests li[data-status="delivered"]').count()) === 2, SETTLE_MS, 'two delivered tests');
    expect(await slow.locator('ul.tests').textContent()).toContain('deployment_request_failed');

    const broken = page.locator('#webhooks tbody tr[data-webhook="broken"]');
    await broken.locator('button.send-test').click();
    await broken.locator('ul.tests li[data-status="failed"]', { hasText: 'Received HTTP 500' }).waitFor();
    expect(problems).toEqual([]);
  });

  it("charts each webhook's success rate and p50/p99 latency over the last hour and day", async () => {
    const s = await stack();
    const r = await startReceiver((_req, n) => ({ status: n === 3 ? 500 : 204 }));
    defer(() => r.close());
    const charted = await createHook(s, hook('charted', `${r.url}/charted`));
    await createHook(s, hook('idle', `${r.url}/idle`, { object_name: 'other-model' }));
    for (let i = 0; i < 4; i++) {
      await s.t.producer.publish(requestEvent({ request_id: `chart-${i}` }));
      await r.waitForRequests(i + 1, SETTLE_MS);
    }
    await eventually(async () => (await s.call('GET', '/v2.1/projects/demo/deliveries')).json.items.length === 4, SETTLE_MS, 'four deliveries');
    const api = (await s.call('GET', `/v2.1/projects/demo/webhooks-stats?webhook_id=${charted.id}`)).json.webhooks[0];
    const hour = api.windows.find((w: { window: string }) => w.window === '1h');
    expect(hour).toMatchObject({ attempts: 4, successes: 3, success_rate: 0.75 });

    const { page, problems } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    const row = page.locator('#webhooks tbody tr[data-webhook="charted"]');
    const ms = (v: number) => (v < 10 ? `${v.toFixed(1)} ms` : `${Math.round(v)} ms`);
    for (const window of ['1h', '24h']) {
      const cell = row.locator(`.stats[data-window="${window}"]`);
      await cell.locator('svg.chart').waitFor();
      expect(await cell.locator('.figures').textContent()).toBe(`75 % of 4 · p50 ${ms(hour.p50_ms)} · p99 ${ms(hour.p99_ms)}`);
      // One bucket with the four attempts: its top bar is 3/4 delivered, 1/4 failed.
      expect(await cell.locator('rect.ok').count()).toBe(1);
      expect(await cell.locator('rect.bad').count()).toBe(1);
      expect(await cell.locator('rect.none').count()).toBe(window === '1h' ? 2 * 11 : 2 * 23);
      const ok = Number(await cell.locator('rect.ok').getAttribute('height'));
      const bad = Number(await cell.locator('rect.bad').getAttribute('height'));
      expect(ok / (ok + bad)).toBeCloseTo(0.75, 1);
    }
    expect(await page.locator('#webhooks tbody tr[data-webhook="idle"] .stats[data-window="1h"] .figures').textContent()).toBe('no attempts');
    await page.locator('#deliveries tbody tr', { hasText: 'chart-3' }).click();
    await page.locator('#attempts tbody tr .outcome-failed').waitFor();
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'ui-figures.png'), fullPage: true });
    expect(problems).toEqual([]);
  });

  it('a project-scoped token opens a page of its own project only', async () => {
    const SCOPED = 'customer-token-0123456789';
    const TWO = 'two-projects-token-0123456789';
    const s = await stack({ HOOKPOST_API_TOKENS: `${TOKEN},${SCOPED}=acme,${TWO}=acme|zeta` });
    await createHook(s, hook('demo-only', 'https://receiver.example/demo'));
    await createHook(s, hook('acme-hook', 'https://receiver.example/acme'), 'acme');
    await createHook(s, hook('zeta-hook', 'https://receiver.example/zeta'), 'zeta');

    // Handed a link to another project, the customer's page still shows the customer's project only.
    const { page, problems, requested } = await openPage(browser(), defer);
    await page.goto(`${s.url}/ui/#project=demo`);
    await page.fill('#token', SCOPED);
    await page.click('#connect');
    await page.locator('#webhooks tbody tr[data-webhook="acme-hook"]').waitFor();
    await page.locator('#scope-note', { hasText: 'This token shows the project acme only.' }).waitFor();
    expect(await page.isHidden('#project')).toBe(true);
    expect(await page.locator('#project-choice option').allTextContents()).toEqual(['acme']);
    expect(await page.locator('#webhooks tbody tr[data-webhook="demo-only"]').count()).toBe(0);
    expect(page.url()).toContain('#project=acme');
    expect(requested.filter((u) => /\/(projects|workspaces)\/demo\//.test(u))).toEqual([]);
    expect(await page.locator('#status.error').count()).toBe(0);

    // A token for two projects switches between them, and only them.
    const two = await openPage(browser(), defer);
    await connect(two.page, s.url, TWO);
    await two.page.locator('#webhooks tbody tr[data-webhook="acme-hook"]').waitFor();
    expect(await two.page.locator('#project-choice option').allTextContents()).toEqual(['acme', 'zeta']);
    await two.page.selectOption('#project-choice', 'zeta');
    await two.page.locator('#webhooks tbody tr[data-webhook="zeta-hook"]').waitFor();
    expect(two.requested.filter((u) => /\/(projects|workspaces)\/demo\//.test(u))).toEqual([]);
    expect(problems).toEqual([]);
    expect(two.problems).toEqual([]);
  });
});
