import { afterEach, describe, expect, it } from 'vitest';
import type { Registry } from '../../../src/registry/store.js';
import { type ApiHarness as Harness, TEST_TOKEN as TOKEN, SECOND_TEST_TOKEN as TOKEN_2, startApi } from '../../helpers/app.js';

const BASE = '/v2.1/projects/project-1/webhooks';

describe('API auth, health, metrics, signing key and errors', () => {
  let h: Harness | undefined;
  afterEach(async () => {
    await h?.close();
    h = undefined;
  });

  it('refuses a missing header, a wrong scheme and a wrong token with 401 {"error"}', async () => {
    h = await startApi();
    const cases: Array<[string, Record<string, string>]> = [
      ['missing', {}],
      ['empty', { authorization: '' }],
      ['bearer with a wrong token', { authorization: 'Bearer not-the-right-token-at-all' }],
      ['basic', { authorization: `Basic ${Buffer.from(`u:${TOKEN}`).toString('base64')}` }],
      ['bare token', { authorization: TOKEN }],
      ['wrong token', { authorization: 'Token not-the-right-token-at-all' }],
      ['prefix of the token', { authorization: `Token ${TOKEN.slice(0, -1)}` }],
      ['token plus suffix', { authorization: `Token ${TOKEN}x` }],
      ['two tokens', { authorization: `Token ${TOKEN} ${TOKEN_2}` }],
    ];
    for (const [what, headers] of cases) {
      for (const [method, url] of [
        ['GET', BASE],
        ['POST', BASE],
        ['GET', `${BASE}/x`],
        ['DELETE', `${BASE}/x`],
        ['GET', '/v2.1/projects/project-1/webhooks-tests/x'],
      ] as const) {
        const res = await h.app.inject({ method, url, headers });
        expect(res.statusCode, `${what} ${method} ${url}`).toBe(401);
        expect(res.json()).toEqual({ error: expect.any(String) });
        expect(res.headers['www-authenticate']).toBe('Token');
        expect(res.body).not.toContain(TOKEN);
      }
    }
    const missing = await h.app.inject({ method: 'GET', url: BASE });
    expect(missing.json().error).toContain('missing Authorization header');
    const scheme = await h.app.inject({ method: 'GET', url: BASE, headers: { authorization: `Basic ${TOKEN}` } });
    expect(scheme.json().error).toContain('scheme must be Token or Bearer');
    expect(await h.deps.registry.list('project-1')).toEqual([]);
  });

  it('accepts every configured token, with the scheme (Token or Bearer) in any case', async () => {
    h = await startApi();
    for (const authorization of [`Token ${TOKEN}`, `Token ${TOKEN_2}`, `token ${TOKEN}`, `TOKEN  ${TOKEN_2} `, `Bearer ${TOKEN}`]) {
      const res = await h.app.inject({ method: 'GET', url: BASE, headers: { authorization } });
      expect(res.statusCode, authorization).toBe(200);
    }
  });

  it('refuses to build without any token', async () => {
    await expect(startApi({ apiTokens: [] })).rejects.toThrow(/token/);
  });

  it('serves /healthz, /readyz and /metrics without a token', async () => {
    let ready: boolean | Error = true;
    h = await startApi({
      checkReady: async () => {
        if (ready instanceof Error) throw ready;
        return ready;
      },
    });
    h.deps.metricsRegistry.registerMetric(
      new (await import('prom-client')).Counter({ name: 'hookpost_test_total', help: 'test', registers: [] }),
    );
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).json()).toEqual({ status: 'ok' });
    const readyRes = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(readyRes.statusCode).toBe(200);
    ready = false;
    const notReady = await h.app.inject({ method: 'GET', url: '/readyz' });
    expect(notReady.statusCode).toBe(503);
    expect(notReady.json()).toEqual({ status: 'not ready' });
    ready = new Error('redis down');
    expect((await h.app.inject({ method: 'GET', url: '/readyz' })).statusCode).toBe(503);
    const metrics = await h.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.statusCode).toBe(200);
    expect(metrics.headers['content-type']).toContain('text/plain');
    expect(metrics.body).toContain('# TYPE hookpost_test_total counter');
  });

  it('serves the public signing key without a token, and nothing else of the key object', async () => {
    h = await startApi({
      publicKey: Object.assign(
        { alg: 'ed25519' as const, keyid: 'sha512:00ff', public_key_pem: '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n' },
        { privateKey: 'MUST-NOT-LEAK' },
      ),
    });
    const res = await h.app.inject({ method: 'GET', url: '/v2.1/signing-key' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      alg: 'ed25519',
      keyid: 'sha512:00ff',
      public_key_pem: '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n',
    });
  });

  it('answers 500 {"error":"internal error"} without internals and logs it with the request id', async () => {
    const broken: Registry = {
      list: async () => {
        throw new Error('ECONNREFUSED 10.0.0.7:6379 internal detail');
      },
    } as unknown as Registry;
    h = await startApi({ registry: broken });
    const res = await h.call('GET', BASE);
    expect(res.statusCode).toBe(500);
    expect(res.json()).toEqual({ error: 'internal error' });
    const requestId = res.headers['x-request-id'];
    expect(requestId).toMatch(/^[0-9a-f-]{36}$/);
    const line = h.logs()
      .split('\n')
      .filter((l) => l.includes('request failed'))
      .map((l) => JSON.parse(l) as { reqId?: string; err?: { message?: string } })[0];
    expect(line?.reqId).toBe(requestId);
    expect(line?.err?.message).toContain('internal detail');
  });
});
