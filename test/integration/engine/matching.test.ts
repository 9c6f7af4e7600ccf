/**
 * End to end: which webhooks an event reaches, through the real events worker, the match
 * cache and real receivers. First attempts run inside the event job, so once the job is settled
 * every delivery it makes has arrived: "nothing else was sent" is checked without sleeping.
 */
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { parseRegistryNotice } from '../../../src/registry/index.js';
import type { WebhookEvent } from '../../../src/registry/model.js';
import { bodyOf, eventually, requestEvent, startTestEngine, type TestEngine } from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';

const STAGES = ['started', 'completed', 'failed', 'finished'] as const;

describe('matching: events fired per status and the webhooks they reach', () => {
  let t: TestEngine;
  let receiver: Receiver;

  beforeEach(async () => {
    t = await startTestEngine(inject('redisUrl'));
    receiver = await startReceiver();
  });
  afterEach(async () => {
    await t.close();
    await receiver.close();
  });

  /** One webhook per lifecycle event of `objectType` `model` v1, each on its own path `/<stage>`. */
  const hookEveryStage = async (objectType: 'deployment' | 'pipeline' = 'deployment') => {
    for (const stage of STAGES) {
      await t.createWebhook({
        url: `${receiver.url}/${objectType}/${stage}`,
        object_type: objectType,
        event: `${objectType}_request_${stage}` as WebhookEvent,
      });
    }
  };
  const paths = () => receiver.requests.map((r) => r.path).sort();

  it.each([
    { status: 'processing', expected: ['/deployment/started'] },
    { status: 'completed', expected: ['/deployment/completed', '/deployment/finished'] },
    { status: 'failed', expected: ['/deployment/failed', '/deployment/finished'] },
  ])('status $status fires exactly $expected', async ({ status, expected }) => {
    await hookEveryStage();
    await t.publishSettled(requestEvent({ status }));
    expect(paths()).toEqual(expected);
    for (const r of receiver.requests) {
      expect(bodyOf(r).event).toBe(`deployment_request_${r.path.split('/')[2]}`);
      expect(bodyOf(r).status).toBe(status);
    }
  });

  it('each status of one request fires its events once: the whole lifecycle reaches each stage once', async () => {
    await hookEveryStage();
    const request_id = 'req-lifecycle';
    for (const status of ['processing', 'completed']) await t.publishSettled(requestEvent({ request_id, status }));
    expect(paths()).toEqual(['/deployment/completed', '/deployment/finished', '/deployment/started']);
  });

  it('a webhook on a version only hears events of that version', async () => {
    await t.createWebhook({ url: `${receiver.url}/v1`, version: 'v1' });
    await t.createWebhook({ url: `${receiver.url}/v2`, version: 'v2' });
    await t.publishSettled(requestEvent({ version: 'v1' }));
    expect(paths()).toEqual(['/v1']);
    await t.publishSettled(requestEvent({ version: 'v2' }));
    expect(paths()).toEqual(['/v1', '/v2']);
    await t.publishSettled(requestEvent({ version: 'v3', is_default_version: true }));
    expect(paths()).toEqual(['/v1', '/v2']);
  });

  it('a webhook with version null hears only events on the default version', async () => {
    await t.createWebhook({ url: `${receiver.url}/default`, version: null });
    await t.createWebhook({ url: `${receiver.url}/v1`, version: 'v1' });

    await t.publishSettled(requestEvent({ version: 'v1' }));
    expect(paths()).toEqual(['/v1']);
    await t.publishSettled(requestEvent({ version: 'v1', is_default_version: false }));
    expect(paths()).toEqual(['/v1', '/v1']);

    receiver.requests.length = 0;
    await t.publishSettled(requestEvent({ version: 'v1', is_default_version: true }));
    expect(paths()).toEqual(['/default', '/v1']);
    await t.publishSettled(requestEvent({ version: 'v7', is_default_version: true }));
    expect(paths()).toEqual(['/default', '/default', '/v1']);
    expect(bodyOf(receiver.requests.find((r) => r.path === '/default')).deployment_version_name).toBe('v1');
  });

  it('a disabled webhook is not sent', async () => {
    await t.createWebhook({ url: `${receiver.url}/disabled`, enabled: false });
    await t.createWebhook({ url: `${receiver.url}/enabled` });
    await t.publishSettled(requestEvent());
    expect(paths()).toEqual(['/enabled']);
  });

  it('project, object type and object name must all be equal', async () => {
    await hookEveryStage('deployment');
    await hookEveryStage('pipeline');
    await t.createWebhook({ url: `${receiver.url}/other-project` }, 'other');
    await t.createWebhook({ url: `${receiver.url}/other-object`, object_name: 'model-2' });

    await t.publishSettled(requestEvent({ object_type: 'pipeline', status: 'completed' }));
    expect(paths()).toEqual(['/pipeline/completed', '/pipeline/finished']);

    receiver.requests.length = 0;
    await t.publishSettled(requestEvent({ object_type: 'deployment', status: 'processing' }));
    expect(paths()).toEqual(['/deployment/started']);

    receiver.requests.length = 0;
    await t.publishSettled(requestEvent({ object_type: 'pipeline', status: 'failed' }));
    expect(paths()).toEqual(['/pipeline/failed', '/pipeline/finished']);

    receiver.requests.length = 0;
    await t.publishSettled(requestEvent({ project: 'third', object_name: 'model' }));
    await t.publishSettled(requestEvent({ object_name: 'model-3' }));
    expect(paths()).toEqual([]);
  });

  it('an event no webhook listens to is consumed without any request', async () => {
    await t.createWebhook({ url: `${receiver.url}/started`, event: 'deployment_request_started' });
    const jobId = await t.publishSettled(requestEvent({ status: 'completed' }));
    expect(await t.eventsQueue.getJobState(jobId)).toBe('completed');
    expect(receiver.requests).toHaveLength(0);
  });

  describe('registry changes reach the very next event', () => {
    let notices: Redis;
    let seen: number[];

    beforeEach(async () => {
      // Our own subscriber to the registry channel: once it has the notice, the engine's matcher
      // (subscribed to the same channel) has had it published to it too.
      seen = [];
      notices = new Redis(inject('redisUrl'));
      notices.on('message', (_channel, message) => {
        const notice = parseRegistryNotice(message);
        if (notice) seen.push(notice.version);
      });
      await notices.subscribe(t.services.keys.registryChannel());
    });
    afterEach(async () => {
      notices.disconnect();
    });

    /** Runs a registry change and waits (a few ms) until its change notice has been published. */
    const change = async (run: () => Promise<unknown>) => {
      const before = seen.length;
      await run();
      await eventually(() => seen.length > before, 2_000, 'the registry change notice');
    };

    it('a URL change, a disable, a re-enable, a delete and a new webhook', async () => {
      const other = await startReceiver();
      try {
        const hook = await t.createWebhook({ url: `${receiver.url}/old` });
        // Fills the match cache for the object.
        await t.publishSettled(requestEvent());
        expect(paths()).toEqual(['/old']);

        await change(() => t.services.registry.update('demo', hook.name, { url: `${other.url}/new` }));
        await t.publishSettled(requestEvent());
        expect(paths()).toEqual(['/old']);
        expect(other.requests.map((r) => r.path)).toEqual(['/new']);

        await change(() => t.services.registry.update('demo', hook.name, { enabled: false }));
        await t.publishSettled(requestEvent());
        expect(other.requests).toHaveLength(1);

        await change(() => t.services.registry.update('demo', hook.name, { enabled: true }));
        await t.publishSettled(requestEvent());
        expect(other.requests).toHaveLength(2);

        await change(() => t.services.registry.update('demo', hook.name, { version: 'v2' }));
        await t.publishSettled(requestEvent({ version: 'v1' }));
        expect(other.requests).toHaveLength(2);
        await t.publishSettled(requestEvent({ version: 'v2' }));
        expect(other.requests).toHaveLength(3);

        await change(() => t.services.registry.remove('demo', hook.name));
        await t.publishSettled(requestEvent({ version: 'v2' }));
        expect(other.requests).toHaveLength(3);

        await change(() => t.createWebhook({ url: `${receiver.url}/added` }));
        await t.publishSettled(requestEvent());
        expect(paths()).toEqual(['/added', '/old']);
        expect(other.requests).toHaveLength(3);
      } finally {
        await other.close();
      }
    });

    it('a webhook moved to another object leaves the old object and joins the new one', async () => {
      const hook = await t.createWebhook({ url: `${receiver.url}/moved` });
      await t.publishSettled(requestEvent({ object_name: 'model' }));
      await t.publishSettled(requestEvent({ object_name: 'model-b' }));
      expect(paths()).toEqual(['/moved']);

      await change(() => t.services.registry.update('demo', hook.name, { object_name: 'model-b' }));
      await t.publishSettled(requestEvent({ object_name: 'model' }));
      expect(receiver.requests).toHaveLength(1);
      await t.publishSettled(requestEvent({ object_name: 'model-b' }));
      expect(receiver.requests).toHaveLength(2);
      expect(bodyOf(receiver.requests[1]).deployment_name).toBe('model-b');
    });

    it('an event change (completed to started) is honoured', async () => {
      const hook = await t.createWebhook({ url: `${receiver.url}/hook` });
      await t.publishSettled(requestEvent({ status: 'completed' }));
      expect(receiver.requests).toHaveLength(1);
      await change(() => t.services.registry.update('demo', hook.name, { event: 'deployment_request_started' }));
      await t.publishSettled(requestEvent({ status: 'completed' }));
      expect(receiver.requests).toHaveLength(1);
      await t.publishSettled(requestEvent({ status: 'processing' }));
      expect(receiver.requests).toHaveLength(2);
      expect(bodyOf(receiver.requests[1]).event).toBe('deployment_request_started');
    });
  });
});
