/**
 * Response excerpts never hold secrets (issue 16, point 3): receivers that echo their request — its
 * headers as JSON, URL-encoded, or cut off by the 1 KiB excerpt limit in the middle of a value —
 * must not put a protected header value or the webhook secret into the attempt log. Two projects on
 * a private Redis, real echoing receivers; every Redis key and value and every API response of the
 * attempt log and the dead letters are searched.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProcessApp } from '../../../src/lifecycle/run.js';
import { REDACTED } from '../../../src/delivery/redact.js';
import { eventually, requestEvent, startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { type Receiver, type RedisServer, startReceiver, startRedisServer } from '../../helpers/index.js';
import { dumpRedis, found } from './redis-dump.js';

const TOKEN = 'test-token-0123456789';
const hex = (n: number) => randomBytes(n).toString('hex');
const AUTHORIZATION = `Bearer tok-${hex(16)}`;
const API_KEY = `key with spaces & symbols "${hex(8)}"/é`;
const SECRET = `plain-secret-${hex(16)}`;
const ROTATED = `rotated-secret-${hex(16)}`;
const WHSEC_B64 = randomBytes(24).toString('base64');
const WHSEC = `whsec_${WHSEC_B64}`;
/** Everything that must not be stored, in every form a receiver might echo it. */
const NEEDLES = [
  AUTHORIZATION,
  AUTHORIZATION.slice('Bearer '.length),
  API_KEY,
  JSON.stringify(API_KEY).slice(1, -1),
  encodeURIComponent(API_KEY),
  SECRET,
  ROTATED,
  WHSEC,
  WHSEC_B64,
];

let server: RedisServer;
let redis: Redis;
let echo: Receiver;
let t: TestEngine;

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
  // Echoes what it got, in the form the path asks for; fails, so the attempts end up as dead letters.
  echo = await startReceiver((request) => {
    const headers = request.headers;
    if (request.path.startsWith('/json')) {
      return { status: 500, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ youSent: headers }) };
    }
    if (request.path.startsWith('/form')) {
      const form = Object.entries(headers)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join('&');
      // ... and the secret it was configured with (the base64 of the whsec_ one).
      return { status: 400, headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: `configured=${encodeURIComponent(WHSEC_B64)}&${form}` };
    }
    if (request.path.startsWith('/secrets')) {
      // A receiver printing its configuration: both secrets of the rotation.
      return { status: 401, headers: { 'content-type': 'text/plain' }, body: `expected one of ${SECRET}, ${ROTATED}` };
    }
    // The excerpt keeps 1 KiB: this one is cut in the middle of the token.
    const token = AUTHORIZATION.slice('Bearer '.length);
    return { status: 502, headers: { 'content-type': 'text/plain' }, body: `${'.'.repeat(1_024 - 10)}${token}` };
  });
  t = await startTestEngine(server.url);
});

afterAll(async () => {
  await t.close();
  await echo.close();
  await redis.quit();
  await server.stop();
});

describe('response excerpts', () => {
  it('keep no protected header value and no secret, in Redis or in API responses', async () => {
    const app = buildProcessApp(t.services);
    const inject = (method: 'GET' | 'POST' | 'PATCH', url: string, payload?: unknown) =>
      app.inject({
        method,
        url,
        headers: { authorization: `Token ${TOKEN}`, 'content-type': 'application/json' },
        ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
      });
    const hook = (project: string, name: string, path: string, extra: Record<string, unknown>) =>
      inject('POST', `/v2.1/projects/${project}/webhooks`, {
        name,
        url: `${echo.url}${path}`,
        object_type: 'deployment',
        object_name: 'model',
        version: 'v1',
        event: 'deployment_request_completed',
        ...extra,
      });
    const created = await Promise.all([
      hook('alpha', 'json', '/json', { headers: [{ key: 'Authorization', value: AUTHORIZATION, protected: true }], secret: SECRET }),
      hook('alpha', 'cut', '/cut', { headers: [{ key: 'Authorization', value: AUTHORIZATION, protected: true }] }),
      hook('beta', 'form', '/form', { headers: [{ key: 'X-Api-Key', value: API_KEY, protected: true }], secret: WHSEC }),
      hook('beta', 'secrets', '/secrets', { secret: SECRET }),
    ]);
    for (const res of created) expect(res.statusCode, res.body).toBe(201);
    // Rotated: the previous secret (SECRET) still signs for 24 h, and is redacted too.
    expect((await inject('PATCH', '/v2.1/projects/beta/webhooks/secrets', { secret: ROTATED })).statusCode).toBe(200);

    await t.publishSettled(requestEvent({ project: 'alpha' }));
    await t.publishSettled(requestEvent({ project: 'beta' }));
    await echo.waitForRequests(4, 30_000);
    // The receivers did get the values (they are the destination): the test can see them.
    expect(echo.requests.some((r) => r.headers.authorization === AUTHORIZATION)).toBe(true);

    const excerpts = new Map<string, string>();
    const bodies: string[] = [];
    for (const project of ['alpha', 'beta']) {
      await eventually(
        async () => {
          const res = await inject('GET', `/v2.1/projects/${project}/deliveries`);
          return res.json().items.length === 2;
        },
        30_000,
        `two deliveries of ${project}`,
      );
      const list = await inject('GET', `/v2.1/projects/${project}/deliveries`);
      bodies.push(list.body);
      for (const item of list.json().items as Array<{ delivery_id: string; webhook_name: string }>) {
        const detail = await inject('GET', `/v2.1/projects/${project}/deliveries/${item.delivery_id}`);
        bodies.push(detail.body);
        excerpts.set(item.webhook_name, detail.json().attempts[0].response_excerpt);
      }
      bodies.push((await inject('GET', `/v2.1/projects/${project}/dead-letters`)).body);
    }
    await app.close();

    // The excerpts are kept (not dropped wholesale), with the values replaced.
    expect(excerpts.get('json')).toContain('"youSent"');
    expect(excerpts.get('json')).toContain(`"authorization":"${REDACTED}"`);
    expect(excerpts.get('form')).toContain(`x-api-key=${REDACTED}`);
    expect(excerpts.get('secrets')).toBe(`expected one of ${REDACTED}, ${REDACTED}`);
    expect(excerpts.get('form')).toMatch(new RegExp(`^configured=${REDACTED.replace(/[[\]]/g, '\\$&')}&`));
    expect(excerpts.get('cut')).toMatch(new RegExp(`\\.{10}${REDACTED.replace(/[[\]]/g, '\\$&')}$`));

    const stored = await dumpRedis(redis);
    expect(stored).toContain('youSent');
    const everything = `${stored}\n${bodies.join('\n')}`;
    expect(found(everything, NEEDLES)).toEqual([]);
    // Not even the first characters of a value cut off by the excerpt limit.
    expect(excerpts.get('cut')).not.toContain(AUTHORIZATION.slice('Bearer '.length, 'Bearer '.length + 6));
  });
});
