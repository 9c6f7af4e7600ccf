/**
 * Exfiltration guard (issue 12, point 4): moving a webhook's URL to another origin while keeping
 * its protected header values or secret without re-sending them is refused unless the request
 * says `keep_secrets: true`; same-origin moves are fine. Both surfaces.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type ApiHarness as Harness, startApi } from '../../helpers/app.js';

const BASE = '/v2.1/projects/p/webhooks';
const create = {
  name: 'hook',
  url: 'https://receiver.example/in',
  object_type: 'deployment',
  object_name: 'model',
  event: 'deployment_request_completed',
  headers: [
    { key: 'Authorization', value: 'Bearer protected-value', protected: true },
    { key: 'X-Team', value: 'ops', protected: false },
  ],
};

let h: Harness;
beforeEach(async () => {
  h = await startApi();
});
afterEach(async () => {
  await h.close();
});

describe('retargeting a webhook (UbiOps PATCH)', () => {
  it('refuses another origin that keeps protected header values, naming the field and the way out', async () => {
    expect((await h.call('POST', BASE, create)).statusCode).toBe(201);
    for (const patch of [
      { url: 'https://attacker.example/in' },
      { url: 'https://receiver.example:8443/in' },
      { url: 'https://attacker.example/in', headers: [{ key: 'Authorization', value: null, protected: true }] },
    ]) {
      const res = await h.call('PATCH', `${BASE}/hook`, patch);
      expect(res.statusCode, JSON.stringify(patch)).toBe(400);
      expect(res.json().error).toMatch(/^url: .*protected headers Authorization \(field headers\).*re-send .*"keep_secrets": true/);
    }
    const stored = await h.deps.registry.get('p', 'hook');
    expect(stored?.url).toBe('https://receiver.example/in');
  });

  it('allows the same origin, re-sent values, dropped headers, or keep_secrets: true', async () => {
    expect((await h.call('POST', BASE, create)).statusCode).toBe(201);
    const ok = async (patch: unknown) => {
      const res = await h.call('PATCH', `${BASE}/hook`, patch);
      expect(res.statusCode, res.body).toBe(200);
    };
    await ok({ url: 'https://receiver.example:443/other?x=1' });
    await ok({ url: 'https://RECEIVER.example/third' });
    await ok({ url: 'https://new.example/a', headers: [{ key: 'Authorization', value: 'Bearer new-value', protected: true }] });
    expect((await h.deps.registry.get('p', 'hook'))?.headers).toEqual([{ key: 'Authorization', value: 'Bearer new-value', protected: true }]);
    await ok({ url: 'https://newer.example/a', keep_secrets: true });
    expect((await h.deps.registry.get('p', 'hook'))?.headers[0]?.value).toBe('Bearer new-value');
    await ok({ url: 'https://newest.example/a', headers: [{ key: 'X-Team', value: 'ops' }] });
    expect(await h.call('PATCH', `${BASE}/hook`, { keep_secrets: 'yes' }).then((r) => r.statusCode)).toBe(400);
  });

  it('refuses another origin that keeps the secret; a new secret does not let the old one sign there', async () => {
    expect((await h.call('POST', BASE, { ...create, headers: [], secret: 'old-secret-value' })).statusCode).toBe(201);
    const refused = await h.call('PATCH', `${BASE}/hook`, { url: 'https://attacker.example/in' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().error).toContain('the secret (field secret)');
    expect(refused.body).not.toContain('old-secret-value');
    const moved = await h.call('PATCH', `${BASE}/hook`, { url: 'https://new.example/in', secret: 'new-secret-value' });
    expect(moved.statusCode).toBe(200);
    expect((await h.deps.registry.get('p', 'hook'))?.secret).toEqual({ current: 'new-secret-value', previous: null, rotatedAt: null });
    // On the same origin a new secret keeps the 24 h overlap.
    await h.call('PATCH', `${BASE}/hook`, { secret: 'third-secret-value' });
    expect((await h.deps.registry.get('p', 'hook'))?.secret).toMatchObject({ current: 'third-secret-value', previous: 'new-secret-value' });
  });
});

describe('retargeting a webhook (UP42 PUT)', () => {
  const bearer = (method: 'POST' | 'PUT', url: string, body: unknown) =>
    h.app.inject({
      method,
      url,
      headers: { authorization: 'Bearer test-token-0123456789', 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
  const up42 = { name: 'Hook', url: 'https://receiver.example/in', events: ['deployment_request_completed'], active: true };

  it('refuses secret: null with another origin, unless the secret is re-sent or keep_secrets is true', async () => {
    const created = await bearer('POST', '/workspaces/p/webhooks', { ...up42, secret: 'up42-secret-value' });
    expect(created.statusCode).toBe(201);
    const item = `/workspaces/p/webhooks/${created.json().data.id}`;
    const refused = await bearer('PUT', item, { ...up42, url: 'https://attacker.example/in', secret: null });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({ data: null, error: { code: 400, message: expect.stringContaining('the secret (field secret)') } });
    expect((await bearer('PUT', item, { ...up42, url: 'https://receiver.example/moved', secret: null })).statusCode).toBe(200);
    expect((await bearer('PUT', item, { ...up42, url: 'https://new.example/in', secret: 'another-secret' })).statusCode).toBe(200);
    expect((await bearer('PUT', item, { ...up42, url: 'https://newer.example/in', secret: null, keep_secrets: true })).statusCode).toBe(200);
    expect((await h.deps.registry.getById('p', created.json().data.id))?.secret?.current).toBe('another-secret');
  });

  it('lets a webhook without secret or protected headers move freely', async () => {
    const created = await bearer('POST', '/workspaces/p/webhooks', up42);
    const item = `/workspaces/p/webhooks/${created.json().data.id}`;
    expect((await bearer('PUT', item, { ...up42, url: 'https://elsewhere.example/in', secret: null })).statusCode).toBe(200);
  });
});
