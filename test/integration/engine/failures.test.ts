/**
 * Failures end to end: the webhook's timeout bounds the attempt, network failures are
 * failed attempts with a message for people, 3xx is success and never followed, large response
 * bodies are harmless, and a slow receiver does not hold up healthy ones.
 */
import { type Server, createServer } from 'node:http';
import { describe, expect, it } from 'vitest';
import {
  eventually,
  metricValue,
  requestEvent,
  type TestEngine,
  useTestScope,
} from '../../helpers/engine.js';
import { freePort, type Reply, startReceiver } from '../../helpers/index.js';

const EVENT = 'deployment_request_completed';

describe('failed attempts and what counts as success', () => {
  const { defer, engine } = useTestScope();
  const receiver = async (reply: (path: string, n: number) => Reply) => {
    const r = await startReceiver((req, n) => reply(req.path, n));
    defer(() => r.close());
    return r;
  };
  const attemptLines = (t: TestEngine) => t.logs.filter((l) => l.msg === 'delivery attempted');
  // An attempt that outlives the inline budget (500 ms) ends after its event job: wait for its line.
  const firstAttempt = (t: TestEngine) => eventually(() => attemptLines(t)[0], 30_000, 'the attempt to end');
  const onlyLetter = async (t: TestEngine) => {
    const letters = await t.services.deadLetters.list('demo');
    expect(letters).toHaveLength(1);
    return letters[0];
  };

  it('timeout: 1 s ends the attempt although the receiver never answers in time', async () => {
    const t = await engine();
    // Answers after 60 s: only the webhook's timeout can end the attempt before the test's deadlines.
    const r = await receiver(() => ({ status: 204, delayMs: 60_000 }));
    await t.createWebhook({ url: `${r.url}/slow`, timeout: 1 });
    await t.publishSettled(requestEvent());
    const line = await firstAttempt(t);
    expect(r.requests).toHaveLength(1);
    expect(line).toMatchObject({ outcome: 'failed', errorCode: 'TIMEOUT' });
    expect(line?.status).toBeUndefined();
    // Not before its time (a bound that load cannot break).
    expect(line?.durationMs).toBeGreaterThanOrEqual(950);
    await eventually(async () => (await t.services.deadLetters.list('demo')).length > 0, 30_000, 'the dead letter');
    expect(await onlyLetter(t)).toMatchObject({ errorCode: 'TIMEOUT', errorMessage: 'Timed out after 1 s', attempts: 1 });
    expect(await metricValue(t, 'hookpost_deliveries_total', { event: EVENT, outcome: 'failed' })).toBe(1);
    expect(await metricValue(t, 'hookpost_delivery_attempt_duration_seconds', { outcome: 'failure' })).toBe(1);
  });

  it('the timeout also bounds reading the response body', async () => {
    const t = await engine();
    // Answers 200 at once, then trickles its body without end (until the connection closes): only
    // the webhook's timeout can end the attempt.
    const server: Server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'text/plain' });
        res.write('a');
        const timer = setInterval(() => res.write('b'), 100);
        res.on('close', () => clearInterval(timer));
      });
    });
    server.keepAliveTimeout = 100;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    defer(async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    await t.createWebhook({ url: `http://127.0.0.1:${port}/trickle`, timeout: 1 });
    await t.publishSettled(requestEvent());
    const line = await firstAttempt(t);
    // The receiver answered 200: the delivery counts, and the endless body did not hold the attempt.
    expect(line).toMatchObject({ outcome: 'delivered', status: 200 });
    expect(line?.durationMs).toBeGreaterThanOrEqual(950);
  });

  it('a refused connection is a failed attempt: "Connection refused"', async () => {
    const t = await engine();
    const port = await freePort();
    await t.createWebhook({ url: `http://127.0.0.1:${port}/nobody` });
    await t.publishSettled(requestEvent());
    expect(attemptLines(t)[0]).toMatchObject({ outcome: 'failed', errorCode: 'ECONNREFUSED' });
    expect(await onlyLetter(t)).toMatchObject({ errorCode: 'ECONNREFUSED', errorMessage: 'Connection refused' });
    expect(await metricValue(t, 'hookpost_deliveries_total', { outcome: 'failed' })).toBe(1);
  });

  it('a receiver that closes the connection without answering is a failed attempt', async () => {
    const t = await engine();
    const r = await receiver(() => ({ destroy: true }));
    await t.createWebhook({ url: `${r.url}/crash` });
    await t.publishSettled(requestEvent());
    // Exactly one request: a POST is not silently re-sent on another connection.
    expect(r.requests).toHaveLength(1);
    expect(attemptLines(t)[0]).toMatchObject({ outcome: 'failed', errorCode: 'SOCKET_CLOSED' });
    expect(await onlyLetter(t)).toMatchObject({
      errorCode: 'SOCKET_CLOSED',
      errorMessage: 'Connection closed without a response',
    });
  });

  it('a 4xx is a failed attempt, and with retry: true it is retried like a 5xx', async () => {
    const t = await engine();
    let authCalls = 0;
    const r = await receiver((path) => (path === '/gone' ? { status: 404 } : ++authCalls === 1 ? { status: 401 } : { status: 200 }));
    await t.createWebhook({ url: `${r.url}/gone` });
    await t.createWebhook({ url: `${r.url}/auth`, retry: true });
    await t.producer.publish(requestEvent());
    await r.waitForRequests(3);
    await eventually(async () => (await metricValue(t, 'hookpost_deliveries_total', { outcome: 'success' })) === 1);
    expect(r.requests.map((x) => x.path).sort()).toEqual(['/auth', '/auth', '/gone']);
    expect(await onlyLetter(t)).toMatchObject({ errorCode: 'HTTP_404', errorMessage: 'Received HTTP 404' });
  });

  it('a header value the HTTP client refuses is final even with retry: true, and nothing is injected', async () => {
    // The API refuses such values; a stored one (older data, another writer) must not split the request.
    const t = await engine();
    const r = await receiver(() => ({ status: 204 }));
    await t.createWebhook({
      url: `${r.url}/bad-header`,
      retry: true,
      headers: [{ key: 'X-Bad', value: 'a\r\nInjected: 1', protected: true }],
    });
    await t.publishSettled(requestEvent());
    await t.idle();
    for (const x of r.requests) expect(x.headers.injected).toBeUndefined();
    expect(r.requests).toHaveLength(0);
    expect(attemptLines(t)).toMatchObject([{ outcome: 'failed', errorCode: 'INVALID_REQUEST' }]);
    const letter = await onlyLetter(t);
    expect(letter).toMatchObject({ errorCode: 'INVALID_REQUEST', attempts: 1 });
    // The explanation names the header, never its (protected) value.
    expect(letter?.errorMessage).toMatch(/x-bad/i);
    expect(letter?.errorMessage).not.toContain('Injected');
    expect(t.logText()).not.toContain('Injected');
    expect(await metricValue(t, 'hookpost_deliveries_total', { outcome: 'retrying' })).toBe(0);
  });

  it('3xx is success and redirects are never followed', async () => {
    const t = await engine();
    const elsewhere = await receiver(() => ({ status: 204 }));
    const statuses = [301, 302, 303, 307, 308];
    const r = await receiver((path) => ({
      status: Number(path.slice(1)),
      headers: { Location: `${elsewhere.url}/followed` },
    }));
    for (const status of statuses) await t.createWebhook({ url: `${r.url}/${status}`, retry: true });
    await t.publishSettled(requestEvent());
    await t.idle();
    expect(r.requests).toHaveLength(statuses.length);
    expect(elsewhere.requests).toHaveLength(0);
    expect(await metricValue(t, 'hookpost_deliveries_total', { event: EVENT, outcome: 'success' })).toBe(5);
    expect(await metricValue(t, 'hookpost_deliveries_total', { outcome: 'retrying' })).toBe(0);
    expect(await t.services.deadLetters.list('demo')).toEqual([]);
    expect(attemptLines(t).map((l) => l.status).sort()).toEqual(statuses);
  });

  it('a large response body is no problem, with a 2xx or a 5xx', async () => {
    const t = await engine();
    const big = Buffer.alloc(8 * 1024 * 1024, 'z');
    const r = await receiver((path) => ({ status: path === '/big-ok' ? 200 : 500, body: big }));
    await t.createWebhook({ url: `${r.url}/big-ok` });
    await t.createWebhook({ url: `${r.url}/big-error`, event: 'deployment_request_finished' });
    await t.publishSettled(requestEvent());
    const lines = attemptLines(t);
    expect(lines.map((l) => [l.outcome, l.status]).sort()).toEqual([
      ['delivered', 200],
      ['failed', 500],
    ]);
    expect(await onlyLetter(t)).toMatchObject({ errorMessage: 'Received HTTP 500' });

    // The same origin still works afterwards.
    r.setResponder(() => ({ status: 204 }));
    await t.publishSettled(requestEvent());
    expect(attemptLines(t).slice(2).map((l) => l.outcome)).toEqual(['delivered', 'delivered']);
  });

  it('a slow receiver holds up neither the other webhooks of its event nor other events', async () => {
    const t = await engine();
    // Holds its request until the test ends: whatever reaches the fast receiver did not wait for it.
    const slow = await receiver(() => ({ status: 204, delayMs: 120_000 }));
    const fast = await receiver(() => ({ status: 204 }));
    const slowHook = await t.createWebhook({ url: `${slow.url}/slow`, timeout: 60 });
    await t.createWebhook({ url: `${fast.url}/same-event`, event: 'deployment_request_finished' });
    await t.createWebhook({ url: `${fast.url}/other-object`, object_name: 'other' });
    await t.producer.publish(requestEvent());
    await slow.waitForRequests(1);
    await t.producer.publish(requestEvent({ object_name: 'other' }));
    await fast.waitForRequests(2, 30_000);
    // While the slow receiver still holds its request: no attempt of it has ended.
    expect(slow.requests).toHaveLength(1);
    expect(t.logs.filter((l) => l.msg === 'delivery attempted' && l.webhookId === slowHook.id)).toHaveLength(0);
    expect(fast.requests.map((x) => x.path).sort()).toEqual(['/other-object', '/same-event']);
  });
});
