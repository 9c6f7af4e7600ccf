/**
 * Destinations end to end: with private targets disallowed, loopback destinations (as IP
 * literals in any spelling, or as a hostname resolving to loopback) are refused before any byte
 * reaches the receiver, counted, dead-lettered with an explanation and never retried; with http
 * disallowed, an http URL is refused.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { metricValue, requestEvent, startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';

describe('destination guard', () => {
  let t: TestEngine | undefined;
  let receiver: Receiver | undefined;
  afterEach(async () => {
    await t?.close();
    await receiver?.close();
    t = undefined;
    receiver = undefined;
  });

  it('private targets disallowed: loopback IPs and a hostname resolving to loopback are refused', async () => {
    t = await startTestEngine(inject('redisUrl'), { HOOKPOST_ALLOW_PRIVATE_TARGETS: 'false' });
    receiver = await startReceiver();
    const port = receiver.port;
    const urls = {
      ip: `http://127.0.0.1:${port}/ip`,
      hostname: `http://localhost:${port}/hostname`,
      mapped: `http://[::ffff:127.0.0.1]:${port}/mapped`,
      decimal: `http://2130706433:${port}/decimal`,
      hex: `http://0x7f.1:${port}/hex`,
    };
    const ids = new Map<string, string>();
    for (const [name, url] of Object.entries(urls)) {
      // retry: true, to show that a refusal is final all the same.
      const hook = await t.createWebhook({ url, retry: true });
      ids.set(hook.id, name);
    }
    await t.publishSettled(requestEvent());
    await t.idle();
    expect(receiver.requests).toHaveLength(0);

    const count = Object.keys(urls).length;
    expect(
      await metricValue(t, 'hookpost_deliveries_total', { event: 'deployment_request_completed', outcome: 'refused' }),
    ).toBe(count);
    expect(await metricValue(t, 'hookpost_deliveries_total', { outcome: 'retrying' })).toBe(0);
    expect(await metricValue(t, 'hookpost_deliveries_total', { outcome: 'failed' })).toBe(0);

    const letters = await t.services.deadLetters.list('demo');
    expect(letters).toHaveLength(count);
    for (const letter of letters) {
      const name = ids.get(letter.webhookId);
      expect(letter, name).toMatchObject({ errorCode: 'DESTINATION_REFUSED', attempts: 1 });
      expect(letter.errorMessage, name).toMatch(/^Destination not allowed: .*loopback/);
    }
    const hostname = letters.find((l) => ids.get(l.webhookId) === 'hostname');
    // Refused on the address DNS returned for "localhost".
    expect(hostname?.errorMessage).toMatch(/^Destination not allowed: (127\.0\.0\.1|::1) is loopback$/);

    const lines = t.logs.filter((l) => l.msg === 'delivery attempted');
    expect(lines).toHaveLength(count);
    for (const l of lines) expect(l).toMatchObject({ outcome: 'refused', errorCode: 'DESTINATION_REFUSED' });
  });

  it('http disallowed: an http URL is refused without a request', async () => {
    t = await startTestEngine(inject('redisUrl'), { HOOKPOST_ALLOW_HTTP: 'false' });
    receiver = await startReceiver();
    await t.createWebhook({ url: `${receiver.url}/plain-http`, retry: true });
    await t.publishSettled(requestEvent());
    await t.idle();
    expect(receiver.requests).toHaveLength(0);
    expect(await metricValue(t, 'hookpost_deliveries_total', { outcome: 'refused' })).toBe(1);
    const [letter] = await t.services.deadLetters.list('demo');
    expect(letter).toMatchObject({ errorCode: 'DESTINATION_REFUSED', attempts: 1 });
    expect(letter?.errorMessage).toMatch(/^Destination not allowed: http URLs are not allowed/);
  });

  it('private targets allowed (the test default): the same loopback URLs are delivered', async () => {
    t = await startTestEngine(inject('redisUrl'));
    receiver = await startReceiver();
    await t.createWebhook({ url: `http://localhost:${receiver.port}/hostname` });
    await t.createWebhook({ url: `http://2130706433:${receiver.port}/decimal` });
    await t.publishSettled(requestEvent());
    expect(receiver.requests.map((r) => r.path).sort()).toEqual(['/decimal', '/hostname']);
  });
});
