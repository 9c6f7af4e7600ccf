/**
 * Project-wide webhooks end to end, through the real events worker, the match cache and
 * real receivers: every object of their project, none of another, each of their events, any version;
 * version rules stay with object-scoped webhooks. And webhooks stored in the shape of earlier
 * versions (no `events`, no `secret`) keep matching as before.
 */
import { Redis } from 'ioredis';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import { parseRegistryNotice } from '../../../src/registry/index.js';
import type { Webhook, WebhookCreate, WebhookEvent } from '../../../src/registry/index.js';
import { bodyOf, eventually, requestEvent, useTestScope, type TestEngine } from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';

describe('project-wide webhooks and old records, end to end', () => {
  const scope = useTestScope();
  let t: TestEngine;
  let receiver: Receiver;

  beforeEach(async () => {
    t = await scope.engine();
    receiver = await startReceiver();
    scope.defer(() => receiver.close());
  });

  /** A project-wide webhook (no object scope) on `events`, posting to `<receiver>/<path>`. */
  const projectWide = (path: string, events: WebhookEvent[], project = 'demo', over: Partial<WebhookCreate> = {}) =>
    t.services.registry.create(project, { name: path, url: `${receiver.url}/${path}`, events, ...over });

  /** "<path> <event>" of every request so far, sorted. */
  const seen = () => receiver.requests.map((r) => `${r.path.slice(1)} ${String(bodyOf(r).event)}`).sort();

  it('reaches every deployment and pipeline of its project, any version, for each of its events, and no other project', async () => {
    await projectWide('all', ['deployment_request_completed', 'pipeline_request_failed', 'pipeline_request_started']);
    await t.publishSettled(requestEvent({ object_name: 'model', version: 'v1' }));
    await t.publishSettled(requestEvent({ object_name: 'other-model', version: 'v7', is_default_version: false }));
    await t.publishSettled(requestEvent({ object_type: 'pipeline', object_name: 'pipe', version: 'x', status: 'failed' }));
    await t.publishSettled(requestEvent({ object_type: 'pipeline', object_name: 'pipe-2', status: 'processing' }));
    // Events it does not subscribe to, and another project.
    await t.publishSettled(requestEvent({ status: 'failed' }));
    await t.publishSettled(requestEvent({ object_type: 'pipeline', status: 'completed' }));
    await t.publishSettled(requestEvent({ project: 'elsewhere' }));
    await t.publishSettled(requestEvent({ project: 'elsewhere', object_type: 'pipeline', status: 'failed' }));
    expect(seen()).toEqual([
      'all deployment_request_completed',
      'all deployment_request_completed',
      'all pipeline_request_failed',
      'all pipeline_request_started',
    ]);
    const names = receiver.requests.map((r) => bodyOf(r).deployment_name ?? bodyOf(r).pipeline_name);
    expect(names).toEqual(['model', 'other-model', 'pipe', 'pipe-2']);
  });

  it('version rules apply only to object-scoped webhooks', async () => {
    await projectWide('all', ['deployment_request_completed']);
    await t.createWebhook({ url: `${receiver.url}/v1`, version: 'v1' });
    await t.createWebhook({ url: `${receiver.url}/default`, version: null });
    await t.publishSettled(requestEvent({ version: 'v2' }));
    expect(seen()).toEqual(['all deployment_request_completed']);
    receiver.requests.length = 0;
    await t.publishSettled(requestEvent({ version: 'v2', is_default_version: true }));
    expect(seen()).toEqual(['all deployment_request_completed', 'default deployment_request_completed']);
    receiver.requests.length = 0;
    await t.publishSettled(requestEvent({ version: 'v1' }));
    expect(seen()).toEqual(['all deployment_request_completed', 'v1 deployment_request_completed']);
  });

  it('a webhook on both _completed and _finished gets two deliveries, each with its event', async () => {
    await projectWide('both', ['deployment_request_finished', 'deployment_request_completed']);
    await t.createWebhook({ url: `${receiver.url}/scoped`, events: ['deployment_request_completed', 'deployment_request_finished'] });
    await t.publishSettled(requestEvent({ status: 'completed' }));
    expect(seen()).toEqual([
      'both deployment_request_completed',
      'both deployment_request_finished',
      'scoped deployment_request_completed',
      'scoped deployment_request_finished',
    ]);
    receiver.requests.length = 0;
    await t.publishSettled(requestEvent({ status: 'failed' }));
    expect(seen()).toEqual(['both deployment_request_finished', 'scoped deployment_request_finished']);
  });

  it('a disabled project-wide webhook is not sent', async () => {
    await projectWide('off', ['deployment_request_completed'], 'demo', { enabled: false });
    await projectWide('on', ['deployment_request_completed']);
    await t.publishSettled(requestEvent());
    expect(seen()).toEqual(['on deployment_request_completed']);
  });

  describe('registry changes reach the very next event', () => {
    let notices: Redis;
    let versions: number[];
    beforeEach(async () => {
      versions = [];
      notices = new Redis(inject('redisUrl'));
      notices.on('message', (_channel, message) => {
        const notice = parseRegistryNotice(message);
        if (notice) versions.push(notice.version);
      });
      await notices.subscribe(t.services.keys.registryChannel());
      scope.defer(() => notices.disconnect());
    });
    const change = async (run: () => Promise<unknown>) => {
      const before = versions.length;
      await run();
      await eventually(() => versions.length > before, 2_000, 'the registry change notice');
    };

    it('create, events change, disable and delete of a project-wide webhook, with the object already cached', async () => {
      await t.createWebhook({ url: `${receiver.url}/scoped` });
      // Fills the match cache for the object and for the project's project-wide webhooks.
      await t.publishSettled(requestEvent());
      expect(seen()).toEqual(['scoped deployment_request_completed']);

      receiver.requests.length = 0;
      let hook!: Webhook;
      await change(async () => {
        hook = await projectWide('all', ['deployment_request_completed']);
      });
      await t.publishSettled(requestEvent());
      expect(seen()).toEqual(['all deployment_request_completed', 'scoped deployment_request_completed']);

      receiver.requests.length = 0;
      await change(() => t.services.registry.updateById('demo', hook.id, { events: ['deployment_request_started'] }));
      await t.publishSettled(requestEvent());
      await t.publishSettled(requestEvent({ status: 'processing', object_name: 'model' }));
      expect(seen()).toEqual(['all deployment_request_started', 'scoped deployment_request_completed']);

      receiver.requests.length = 0;
      await change(() => t.services.registry.updateById('demo', hook.id, { enabled: false }));
      await t.publishSettled(requestEvent({ status: 'processing' }));
      expect(seen()).toEqual([]);

      await change(() => t.services.registry.updateById('demo', hook.id, { enabled: true }));
      await change(() => t.services.registry.removeById('demo', hook.id));
      await t.publishSettled(requestEvent({ status: 'processing' }));
      expect(seen()).toEqual([]);
    });
  });

  it('a webhook stored in the old shape (no events, no secret, no timestamps) reads and matches as before', async () => {
    const { redis, keys, registry } = t.services;
    const id = '3f1c2b4a-5d6e-4f70-8a9b-0c1d2e3f4a5b';
    const old = {
      id,
      project: 'demo',
      name: 'old-hook',
      url: `${receiver.url}/old`,
      headers: [{ key: 'Authorization', value: 'Token old', protected: true }],
      object_type: 'deployment',
      object_name: 'model',
      version: 'v1',
      description: '',
      labels: {},
      event: 'deployment_request_completed',
      timeout: 10,
      enabled: true,
      retry: false,
      include_result: false,
    };
    // What an earlier version wrote: the record, the name and one index set.
    await redis.set(keys.webhook('demo', id), JSON.stringify(old));
    await redis.hset(keys.webhookNames('demo'), 'old-hook', id);
    await redis.sadd(keys.matchIndex('demo', 'deployment', 'model', 'deployment_request_completed'), id);

    const read = await registry.get('demo', 'old-hook');
    expect(read).toMatchObject({ ...old, events: ['deployment_request_completed'], secret: null });
    await t.publishSettled(requestEvent({ version: 'v1' }));
    await t.publishSettled(requestEvent({ version: 'v2' }));
    expect(seen()).toEqual(['old deployment_request_completed']);
    expect(receiver.requests[0]?.headers.authorization).toBe('Token old');

    // Its next change writes the current shape; the index stays right.
    const updated = await registry.update('demo', 'old-hook', { events: ['deployment_request_completed', 'deployment_request_failed'] });
    const stored = JSON.parse((await redis.get(keys.webhook('demo', id))) ?? '{}');
    expect(stored).toMatchObject({ events: updated.events, event: 'deployment_request_completed', secret: null });
    await eventually(async () => {
      receiver.requests.length = 0;
      await t.publishSettled(requestEvent({ status: 'failed' }));
      return receiver.requests.length === 1;
    }, 3_000, 'the failed event to reach the updated webhook');
    expect(seen()).toEqual(['old deployment_request_failed']);
    expect(await registry.remove('demo', 'old-hook')).toBe(true);
    expect(await redis.smembers(keys.matchIndex('demo', 'deployment', 'model', 'deployment_request_completed'))).toEqual([]);
  });
});
