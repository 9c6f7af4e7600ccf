/**
 * The monitoring page against hostile values, in headless Chromium: webhook names, header values,
 * URLs, response bodies, producer results and very long strings that try `<img onerror>`, `<script>`
 * and `javascript:` URLs. Every one must show as text, nothing may run (no dialog, no global set, no
 * CSP report), no element may carry an event handler or a link, and the page keeps its width. The
 * page's own files are checked too: no inline script or style, no HTML sinks, no other origin.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { findUiDir } from '../../../src/api/routes/ui.js';
import { eventually, requestEvent } from '../../helpers/engine.js';
import { startReceiver } from '../../helpers/index.js';
import { SETTLE_MS, artifacts, connect, executablePath, openPage, useBrowser } from './browser.js';
import { TEST_TOKEN as TOKEN, useStack } from '../../helpers/app.js';

const IMG_NAME = '<img src=x onerror="window.__pwned=1">';
const SCRIPT_VALUE = '"><script>window.__pwned=2</script><img src=x onerror=window.__pwned=2>';
const EXCERPT = '<img src=x onerror="window.__pwned=3"> <a href="javascript:window.__pwned=3">click</a> javascript:alert(1)';
const RESULT = { html: '<img src=x onerror=window.__pwned=4>', link: 'javascript:window.__pwned=4', long: 'W'.repeat(5_000) };

describe('the page files stay within the Content-Security-Policy', () => {
  const dir = findUiDir();
  const html = readFileSync(`${dir}index.html`, 'utf8');
  const js = readFileSync(`${dir}app.js`, 'utf8');
  const css = readFileSync(`${dir}style.css`, 'utf8');

  it('has no inline script, inline style, event-handler attribute or other origin', () => {
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map((m) => m[1]?.trim())).toEqual(['type="module" src="/ui/app.js"']);
    expect(scripts.every((m) => m[2] === '')).toBe(true);
    expect(html).not.toMatch(/<style\b/i);
    expect(html).not.toMatch(/\sstyle\s*=/i);
    expect(html).not.toMatch(/\son[a-z]+\s*=/i);
    // The SVG namespace is a name, not something fetched.
    expect(`${html}\n${js.replaceAll("'http://www.w3.org/2000/svg'", '')}\n${css}`).not.toMatch(/https?:\/\//);
    expect(css).not.toMatch(/@import|url\(/);
  });

  it('inserts data as text only: no HTML sink, no inline style, no link, no code from strings', () => {
    for (const sink of ['innerHTML', 'outerHTML', 'insertAdjacentHTML', 'document.write', 'eval(', 'new Function', 'setTimeout(\'', '.style', 'cssText', 'href', 'srcdoc']) {
      expect(js.includes(sink), sink).toBe(false);
    }
    // Attributes set from code: SVG geometry and a class only.
    const attributes = [...js.matchAll(/setAttribute\('([^']+)'/g)].map((m) => m[1]);
    expect(new Set(attributes)).toEqual(new Set(['viewBox', 'width', 'height', 'role', 'x', 'y', 'class']));
  });
});

describe.skipIf(!executablePath)('the page against hostile values in headless Chromium', { timeout: 120_000 }, () => {
  const { defer, stack } = useStack();
  const browser = useBrowser();

  it('shows hostile names, headers, URLs, responses and payloads as text and runs nothing', async () => {
    const s = await stack();
    const r = await startReceiver(() => ({ status: 500, headers: { 'content-type': 'text/html' }, body: EXCERPT + 'x'.repeat(3_000) }));
    defer(() => r.close());
    const longPath = `/${'very-long-path-segment/'.repeat(80)}end`;
    const up42 = await s.call('POST', '/workspaces/demo/webhooks', {
      name: IMG_NAME,
      url: `${r.url}${longPath}?q=%22%3E%3Cimg%20src%3Dx%20onerror%3Dwindow.__pwned%3D5%3E`,
      events: ['deployment_request_completed'],
      active: true,
    });
    expect(up42.status, JSON.stringify(up42.json)).toBe(201);
    const scoped = await s.call('POST', '/v2.1/projects/demo/webhooks', {
      name: 'headers',
      url: `${r.url}/headers`,
      object_type: 'deployment',
      object_name: 'model',
      version: 'v1',
      event: 'deployment_request_completed',
      include_result: true,
      headers: [{ key: 'X-Note', value: SCRIPT_VALUE, protected: false }],
    });
    expect(scoped.status, JSON.stringify(scoped.json)).toBe(201);
    await s.t.producer.publish(requestEvent({ request_id: 'hostile-1', result: RESULT }));
    await eventually(
      async () => (await s.call('GET', '/v2.1/projects/demo/deliveries?outcome=failed')).json.items.length === 2,
      SETTLE_MS,
      'two failed deliveries',
    );

    const { page, problems, requested, dialogs } = await openPage(browser(), defer);
    await connect(page, s.url, TOKEN);
    const wide = page.locator('#webhooks tbody tr', { hasText: IMG_NAME });
    await wide.waitFor();
    await page.locator('#webhooks tbody tr[data-webhook="headers"]').waitFor();
    expect(await wide.textContent()).toContain('very-long-path-segment');
    await page.locator('#deliveries tbody tr', { hasText: IMG_NAME }).waitFor();

    // The delivery to the webhook with the hostile header: its request and response as text.
    const row = page.locator('#deliveries tbody tr', { hasText: 'headers' }).first();
    await row.click();
    await page.locator('#attempts tbody tr pre.excerpt').waitFor();
    expect(await page.locator('#attempts tbody tr pre.excerpt').textContent()).toContain(EXCERPT);
    await page.locator('#request-headers tbody tr[data-header="x-note"]').waitFor();
    expect(await page.locator('#request-headers tbody tr[data-header="x-note"] td:nth-child(2)').textContent()).toBe(SCRIPT_VALUE);
    await page.locator('#request-body', { hasText: 'javascript:window.__pwned=4' }).waitFor();
    expect(await page.locator('#request-body').textContent()).toContain(RESULT.html);
    // The project-wide webhook's delivery too (its name is the hostile one).
    await page.locator('#deliveries tbody tr', { hasText: IMG_NAME }).first().click();
    await page.locator('#request-target', { hasText: 'very-long-path-segment' }).waitFor();
    // A test of the hostile webhook: its failure message shows as text as well.
    await wide.locator('button.send-test').click();
    await wide.locator('ul.tests li[data-status="failed"]').waitFor();
    await page.locator('#dead-letters tbody tr', { hasText: IMG_NAME }).first().waitFor();

    // Nothing ran, nothing was parsed as markup, nothing links anywhere, the page kept its width.
    expect(await page.evaluate('typeof window.__pwned')).toBe('undefined');
    expect(dialogs).toEqual([]);
    expect(await page.locator('main img, main script, main a, main iframe, main object').count()).toBe(0);
    const handlers = await page.evaluate(
      "[...document.body.querySelectorAll('*')].flatMap((e) => [...e.attributes].map((a) => a.name)).filter((n) => n.startsWith('on') || n === 'style' || n === 'href')",
    );
    expect(handlers).toEqual([]);
    expect(await page.evaluate('document.documentElement.scrollWidth')).toBeLessThanOrEqual(1500);
    const origin = new URL(s.url).origin;
    expect(requested.filter((u) => !u.startsWith(origin) && !u.startsWith('data:'))).toEqual([]);
    expect(problems).toEqual([]);
    // Last: Playwright's screenshot itself sets style attributes.
    mkdirSync(artifacts, { recursive: true });
    await page.screenshot({ path: join(artifacts, 'ui-hostile.png'), fullPage: true });
  });
});
