/**
 * Secrets never leak, under load (issue 12, point 6): with protected header values, webhook
 * secrets and API tokens of known values, run deliveries, failures, retries, webhook tests, dead
 * letters and re-drives through the in-process engine and the API on a private Redis, then search
 * every API response, every log line (level trace), /metrics and every Redis key and value for
 * them. The receiver is the one place they may appear (it is their destination).
 */
import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProcessApp } from '../../../src/lifecycle/run.js';
import { type TestEngine, eventually, requestEvent, startTestEngine } from '../../helpers/engine.js';
import { type Receiver, type RedisServer, startReceiver, startRedisServer } from '../../helpers/index.js';
import { dumpRedis, found } from './redis-dump.js';

const hex = (n: number) => randomBytes(n).toString('hex');
const ADMIN = `admin-${hex(12)}`;
const SCOPED = `scoped-${hex(12)}`;
const HEADER_OK = `hdr-ok-${hex(12)}`;
const HEADER_DOWN = `hdr-down-${hex(12)}`;
const HEADER_TEST = `hdr-test-${hex(12)}`;
const SECRET_OK = `secret-ok-${hex(12)}`;
const SECRET_ROTATED = `secret-rotated-${hex(12)}`;
const SECRET_DOWN_B64 = randomBytes(24).toString('base64');
const SECRET_DOWN = `whsec_${SECRET_DOWN_B64}`;
const PROTECTED = [HEADER_OK, HEADER_DOWN, HEADER_TEST];
const SECRETS = [SECRET_OK, SECRET_ROTATED, SECRET_DOWN, SECRET_DOWN_B64];
const NEEDLES = [ADMIN, SCOPED, ...PROTECTED, ...SECRETS];

let server: RedisServer;
let redis: Redis;
/** Four origins, so that the failing one's open circuit does not hold the others back. */
let receiver: Receiver;
let down: Receiver;
let fixed: Receiver;
let failing: Receiver;
let t: TestEngine;
let app: FastifyInstance;
const bodies: string[] = [];

const call = async (method: 'GET' | 'POST' | 'PATCH' | 'PUT', url: string, payload?: unknown, token = ADMIN) => {
  const res = await app.inject({
    method,
    url,
    headers: { authorization: `${url.startsWith('/workspaces') ? 'Bearer' : 'Token'} ${token}`, 'content-type': 'application/json' },
    ...(payload === undefined ? {} : { payload: JSON.stringify(payload) }),
  });
  bodies.push(`${method} ${url} ${res.statusCode} ${JSON.stringify(res.headers)} ${res.body}`);
  return res;
};

beforeAll(async () => {
  server = await startRedisServer();
  redis = new Redis(server.url);
  // /flaky fails every other request; `down` always fails; `fixed` takes the re-drives.
  receiver = await startReceiver((request, n) => {
    if (request.path.startsWith('/flaky')) return { status: n % 2 === 0 ? 503 : 200 };
    return { status: 204 };
  });
  down = await startReceiver(() => ({ status: 500, body: 'receiver down' }));
  fixed = await startReceiver(() => ({ status: 200 }));
  failing = await startReceiver(() => ({ status: 502 }));
  t = await startTestEngine(server.url, {
    HOOKPOST_LOG_LEVEL: 'trace',
    HOOKPOST_API_TOKENS: `${ADMIN},${SCOPED}=demo`,
    HOOKPOST_RETRY_SCHEDULE: '100ms,150ms',
  });
  app = buildProcessApp(t.services);
  await app.ready();
});
afterAll(async () => {
  await app?.close();
  await t?.close();
  await receiver?.close();
  await down?.close();
  await fixed?.close();
  await failing?.close();
  await redis?.quit();
  await server?.stop();
});

describe('secrets never leak', () => {
  it('appear in no API response, log line, metric or Redis key or value after a busy run', async () => {
    const scope = { object_type: 'deployment', object_name: 'model', version: 'v1' };
    const ok = await call('POST', '/v2.1/projects/demo/webhooks', {
      ...scope,
      name: 'flaky',
      url: `${receiver.url}/flaky`,
      events: ['deployment_request_completed', 'deployment_request_failed'],
      headers: [{ key: 'Authorization', value: `Bearer ${HEADER_OK}`, protected: true }],
      secret: SECRET_OK,
      retry: true,
      include_result: true,
    });
    expect(ok.statusCode).toBe(201);
    // Rotated: both signatures for 24 h, so the old secret is used for every delivery too.
    expect((await call('PATCH', '/v2.1/projects/demo/webhooks/flaky', { secret: SECRET_ROTATED }, SCOPED)).statusCode).toBe(200);
    const downHook = await call('POST', '/v2.1/projects/demo/webhooks', {
      ...scope,
      name: 'down',
      url: `${down.url}/down`,
      event: 'deployment_request_completed',
      headers: [{ key: 'X-Api-Key', value: HEADER_DOWN, protected: true }],
      secret: SECRET_DOWN,
      retry: true,
    });
    expect(downHook.statusCode).toBe(201);
    const up42 = await call('POST', '/workspaces/demo/webhooks', {
      name: 'UP42 hook',
      url: `${receiver.url}/up42`,
      events: ['deployment_request_failed'],
      active: true,
      secret: SECRET_DOWN,
    });
    expect(up42.statusCode).toBe(201);
    // Refused retargets answer without echoing anything.
    expect((await call('PATCH', '/v2.1/projects/demo/webhooks/down', { url: 'https://attacker.example/' })).statusCode).toBe(400);
    expect((await call('PATCH', '/v2.1/projects/other/webhooks/down', { url: 'https://attacker.example/' }, SCOPED)).statusCode).toBe(403);

    // Load: events of both kinds, delivered, failed, retried.
    const events = 60;
    for (let i = 0; i < events; i++) {
      const failed = i % 3 === 0;
      await t.producer.publish(requestEvent({ status: failed ? 'failed' : 'completed', request_id: `load-${i}` }));
    }
    // Webhook tests: of a stored webhook, and of a configuration with protected headers (one that fails).
    expect((await call('POST', '/v2.1/projects/demo/webhooks/flaky/tests')).statusCode).toBe(201);
    expect((await call('POST', `/workspaces/demo/webhooks/${up42.json().data.id}/tests`)).statusCode).toBe(201);
    const adhoc = await call('POST', '/v2.1/projects/demo/webhooks-tests', {
      ...scope,
      url: `${failing.url}/test`,
      event: 'deployment_request_completed',
      headers: [{ key: 'X-Test-Key', value: HEADER_TEST, protected: true }],
      retry: true,
    }, SCOPED);
    expect(adhoc.statusCode).toBe(201);

    // The /down webhook exhausts its attempts on every completed event: dead letters.
    const completed = events - Math.ceil(events / 3);
    const letters = await eventually(async () => {
      const res = await call('GET', '/v2.1/projects/demo/dead-letters?limit=500');
      const list = res.json() as Array<{ delivery_id: string }>;
      return list.length >= completed ? list : undefined;
    }, 20_000, 'dead letters of /down');
    await eventually(async () => {
      const res = await call('GET', `/v2.1/projects/demo/webhooks-tests/${adhoc.json().id}`, undefined, SCOPED);
      return res.json().status === 'failed';
    }, 10_000, 'the ad-hoc test to fail');
    expect((await call('GET', `/v2.1/projects/demo/dead-letters/${letters[0]!.delivery_id}`)).statusCode).toBe(200);

    // Move the failing webhook to a working origin, keeping its header value and secret on purpose,
    // then re-drive some dead letters there and wait for them to arrive.
    const moved = await call('PATCH', '/v2.1/projects/demo/webhooks/down', { url: `${fixed.url}/down`, keep_secrets: true }, SCOPED);
    expect(moved.statusCode).toBe(200);
    // Dead letters of both webhooks: /flaky ones may exhaust their attempts too.
    const redriven = letters.slice(0, 6);
    const delivered = (id: string) =>
      [...receiver.requests, ...fixed.requests].some((r) => r.headers['webhook-id'] === id);
    for (const letter of redriven) {
      expect((await call('POST', `/v2.1/projects/demo/dead-letters/${letter.delivery_id}/redrive`, undefined, SCOPED)).statusCode).toBe(202);
    }
    await eventually(
      () => redriven.every((l) => delivered(l.delivery_id)) && true,
      10_000,
      're-driven deliveries',
    );
    // Retries of /flaky settle too (every other attempt fails, two retries allowed).
    await eventually(async () => {
      const counts = await t.services.deliveries.getJobCounts('active', 'waiting', 'delayed', 'prioritized');
      return Object.values(counts).every((n) => n === 0);
    }, 20_000, 'the deliveries queue to drain');
    for (const path of ['/v2.1/projects/demo/webhooks', '/v2.1/projects/demo/webhooks/flaky', '/workspaces/demo/webhooks']) {
      expect((await call('GET', path)).statusCode).toBe(200);
    }

    // The check can see: the receiver got the protected values and signatures from both secrets.
    const seen = [...receiver.requests, ...down.requests, ...fixed.requests, ...failing.requests].map((r) => JSON.stringify(r.headers)).join('\n');
    expect(found(seen, PROTECTED)).toEqual(PROTECTED);
    expect(receiver.requests.some((r) => String(r.headers['webhook-signature'] ?? '').split(' ').length === 2)).toBe(true);
    expect(receiver.requests.length).toBeGreaterThan(events);

    const metrics = await app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toContain('hookpost_deliveries_total');
    const logs = t.logText();
    expect(t.services.logger.level).toBe('trace');
    expect(logs).toContain('delivery attempted');
    const dump = await dumpRedis(redis);
    expect(dump).toContain(':dead-letter:');

    expect({
      responses: found(bodies.join('\n'), NEEDLES),
      logs: found(logs, NEEDLES),
      metrics: found(metrics.body, NEEDLES),
      redis: found(dump, NEEDLES),
    }).toEqual({ responses: [], logs: [], metrics: [], redis: [] });
  });
});
