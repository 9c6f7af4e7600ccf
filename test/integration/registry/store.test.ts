import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ErrorCode, hasCode } from '../../../src/errors.js';
import { createKeys, type Keys } from '../../../src/redis/keys.js';
import { type RegistryNotice, parseRegistryNotice } from '../../../src/registry/notice.js';
import { type Registry, type WebhookCreate, createRegistry } from '../../../src/registry/store.js';
import { SEED_WEBHOOK_CREATE } from '../../fixtures/seed-webhook.js';
import { uniquePrefix } from '../../helpers/index.js';

const P = 'project-1';

const base: WebhookCreate = { ...SEED_WEBHOOK_CREATE, headers: [...SEED_WEBHOOK_CREATE.headers] };

describe('webhook registry store', () => {
  let redis: Redis;
  let subscriber: Redis;
  beforeAll(() => {
    redis = new Redis(inject('redisUrl'));
    subscriber = new Redis(inject('redisUrl'));
  });
  afterAll(async () => {
    await redis.quit();
    await subscriber.quit();
  });

  const fresh = (): { keys: Keys; registry: Registry } => {
    const keys = createKeys(uniquePrefix('reg'));
    return { keys, registry: createRegistry({ redis, keys }) };
  };

  /** Collects notices on the registry channel until `stop()`. */
  const listen = async (keys: Keys) => {
    const notices: RegistryNotice[] = [];
    const raw: string[] = [];
    const onMessage = (channel: string, message: string) => {
      if (channel !== keys.registryChannel()) return;
      raw.push(message);
      const notice = parseRegistryNotice(message);
      if (notice) notices.push(notice);
    };
    subscriber.on('message', onMessage);
    await subscriber.subscribe(keys.registryChannel());
    return {
      notices,
      raw,
      /** Waits until `n` notices arrived. */
      async waitFor(n: number) {
        const deadline = Date.now() + 2_000;
        while (notices.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
        return notices;
      },
      async stop() {
        subscriber.off('message', onMessage);
        await subscriber.unsubscribe(keys.registryChannel());
      },
    };
  };

  it('creates with defaults and reads back by name and id, secrets included', async () => {
    const { registry } = fresh();
    const created = await registry.create(P, base);
    expect(created).toMatchObject({
      project: P,
      name: 'webhook-1',
      headers: [{ key: 'Authorization', value: 'Token 123', protected: true }],
      description: '',
      labels: {},
      timeout: 10,
      enabled: true,
      retry: false,
      include_result: false,
      version: 'v1',
    });
    expect(created.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(Date.parse(created.created_at)).not.toBeNaN();
    expect(await registry.get(P, 'webhook-1')).toEqual(created);
    expect(await registry.getById(P, created.id)).toEqual(created);
    expect(await registry.get(P, 'nope')).toBeNull();
    expect(await registry.get('other-project', 'webhook-1')).toBeNull();
    const noVersion = await registry.create(P, { ...base, name: 'w2', version: undefined });
    expect(noVersion.version).toBeNull();
  });

  it('stores the record as one JSON string under keys.webhook and the name in keys.webhookNames', async () => {
    const { keys, registry } = fresh();
    const created = await registry.create(P, base);
    expect(JSON.parse((await redis.get(keys.webhook(P, created.id))) ?? 'null')).toEqual(created);
    expect(await redis.hgetall(keys.webhookNames(P))).toEqual({ 'webhook-1': created.id });
  });

  it('refuses an event of the other object type', async () => {
    const { registry } = fresh();
    await expect(registry.create(P, { ...base, event: 'pipeline_request_failed' })).rejects.toSatisfy((e) =>
      hasCode(e, ErrorCode.VALIDATION),
    );
    const created = await registry.create(P, base);
    await expect(registry.update(P, created.name, { event: 'pipeline_request_failed' })).rejects.toSatisfy((e) =>
      hasCode(e, ErrorCode.VALIDATION),
    );
  });

  it('lets exactly one of 50 parallel creates of one name succeed', async () => {
    const { keys, registry } = fresh();
    const results = await Promise.allSettled(
      Array.from({ length: 50 }, (_, i) => registry.create(P, { ...base, url: `https://h${i}.example` })),
    );
    const ok = results.filter((r) => r.status === 'fulfilled');
    const taken = results.filter((r) => r.status === 'rejected' && hasCode(r.reason, ErrorCode.NAME_TAKEN));
    expect(ok).toHaveLength(1);
    expect(taken).toHaveLength(49);
    const index = await redis.smembers(keys.matchIndex(P, 'deployment', 'deployment-1', 'deployment_request_finished'));
    expect(index).toHaveLength(1);
    expect((await registry.list(P)).length).toBe(1);
  });

  it('lets exactly one of 20 parallel renames onto one name succeed', async () => {
    const { registry } = fresh();
    for (let i = 0; i < 20; i++) await registry.create(P, { ...base, name: `w-${i}` });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) => registry.update(P, `w-${i}`, { name: 'target' })),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect(
      results.filter((r) => r.status === 'rejected' && hasCode(r.reason, ErrorCode.NAME_TAKEN)),
    ).toHaveLength(19);
    expect((await registry.list(P)).map((w) => w.name).filter((n) => n === 'target')).toHaveLength(1);
    expect(await registry.list(P)).toHaveLength(20);
  });

  it('renames, freeing the old name, and refuses a rename onto a taken name', async () => {
    const { keys, registry } = fresh();
    const a = await registry.create(P, base);
    await registry.create(P, { ...base, name: 'webhook-2' });
    await expect(registry.update(P, 'webhook-1', { name: 'webhook-2' })).rejects.toSatisfy((e) =>
      hasCode(e, ErrorCode.NAME_TAKEN),
    );
    const renamed = await registry.update(P, 'webhook-1', { name: 'new-webhook-name' });
    expect(renamed.id).toBe(a.id);
    expect(await registry.get(P, 'webhook-1')).toBeNull();
    expect((await registry.get(P, 'new-webhook-name'))?.id).toBe(a.id);
    expect(await redis.hget(keys.webhookNames(P), 'new-webhook-name')).toBe(a.id);
    expect(await redis.hexists(keys.webhookNames(P), 'webhook-1')).toBe(0);
    // The freed name can be taken again.
    await registry.create(P, base);
    // Same-name "rename" is a no-op, not a conflict.
    await expect(registry.update(P, 'webhook-1', { name: 'webhook-1' })).resolves.toMatchObject({ name: 'webhook-1' });
  });

  it('throws NOT_FOUND on update of an unknown webhook and returns false on its delete', async () => {
    const { registry } = fresh();
    await expect(registry.update(P, 'nope', { enabled: false })).rejects.toSatisfy((e) =>
      hasCode(e, ErrorCode.NOT_FOUND),
    );
    expect(await registry.remove(P, 'nope')).toBe(false);
  });

  it('keeps a protected value when a patch sends value null, and replaces the list otherwise', async () => {
    const { registry } = fresh();
    const created = await registry.create(P, {
      ...base,
      headers: [
        { key: 'Authorization', value: 'Token 123', protected: true },
        { key: 'X-Plain', value: 'plain' },
      ],
    });
    await registry.update(P, 'webhook-1', {
      headers: [
        { key: 'authorization', value: null, protected: true },
        { key: 'X-New', value: 'n' },
      ],
    });
    expect((await registry.getById(P, created.id))?.headers).toEqual([
      { key: 'authorization', value: 'Token 123', protected: true },
      { key: 'X-New', value: 'n', protected: false },
    ]);
    // null for a header that is not stored as protected, or sent unprotected: refused.
    for (const headers of [
      [{ key: 'X-Plain', value: null, protected: true }],
      [{ key: 'Authorization', value: null, protected: false }],
      [{ key: 'Authorization', value: null }],
    ]) {
      await expect(registry.update(P, 'webhook-1', { headers })).rejects.toSatisfy((e) =>
        hasCode(e, ErrorCode.VALIDATION),
      );
    }
    // A new value replaces the stored one; an empty list removes every header.
    await registry.update(P, 'webhook-1', { headers: [{ key: 'Authorization', value: 'Token 456', protected: true }] });
    expect((await registry.getById(P, created.id))?.headers[0]?.value).toBe('Token 456');
    await registry.update(P, 'webhook-1', { headers: [] });
    expect((await registry.getById(P, created.id))?.headers).toEqual([]);
  });

  it('keeps a protected value when a patch omits value, as generated clients do for null', async () => {
    const { registry } = fresh();
    const created = await registry.create(P, base);
    await registry.update(P, 'webhook-1', { headers: [{ key: 'Authorization', protected: true }] });
    expect((await registry.getById(P, created.id))?.headers).toEqual([
      { key: 'Authorization', value: 'Token 123', protected: true },
    ]);
    // A new protected key without a value has nothing to keep: refused, naming the field.
    await expect(
      registry.update(P, 'webhook-1', { headers: [{ key: 'X-Other', protected: true }] }),
    ).rejects.toThrow(/^headers\[0\]\.value: required/);
  });

  it('keeps created_at through renames and moves updated_at forward on every change', async () => {
    const { registry } = fresh();
    const created = await registry.create(P, base);
    expect(created.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(created.updated_at).toBe(created.created_at);
    let previous = created.updated_at;
    // Back-to-back changes within one millisecond still move it.
    for (const patch of [{ name: 'renamed' }, { description: 'x' }, {}, { enabled: false }]) {
      const name = (await registry.list(P))[0]?.name ?? '';
      const next = await registry.update(P, name, patch);
      expect(next.created_at).toBe(created.created_at);
      expect(Date.parse(next.updated_at)).toBeGreaterThan(Date.parse(previous));
      previous = next.updated_at;
    }
    expect((await registry.get(P, 'renamed'))?.updated_at).toBe(previous);
  });

  it('reads records stored without timestamps: one falls back to the other, neither to a shared stamp', async () => {
    const { keys, registry } = fresh();
    const a = await registry.create(P, { ...base, name: 'only-updated' });
    const b = await registry.create(P, { ...base, name: 'none-1' });
    const c = await registry.create(P, { ...base, name: 'none-2' });
    const strip = async (id: string, fields: string[]) => {
      const record = JSON.parse((await redis.get(keys.webhook(P, id))) ?? '{}');
      for (const f of fields) delete record[f];
      await redis.set(keys.webhook(P, id), JSON.stringify(record));
    };
    await strip(a.id, ['created_at']);
    await strip(b.id, ['created_at', 'updated_at']);
    await strip(c.id, ['created_at', 'updated_at']);

    const onlyUpdated = await registry.get(P, 'only-updated');
    expect(onlyUpdated?.created_at).toBe(a.updated_at);
    expect(onlyUpdated?.updated_at).toBe(a.updated_at);
    const listed = await registry.list(P);
    const stamp = await redis.get(keys.legacyTimestamp());
    expect(stamp).toMatch(/Z$/);
    for (const name of ['none-1', 'none-2']) {
      expect(listed.find((w) => w.name === name)).toMatchObject({ created_at: stamp, updated_at: stamp });
    }
    // Another registry instance (another process) shows the same stamp.
    const other = createRegistry({ redis, keys });
    expect((await other.getById(P, b.id))?.created_at).toBe(stamp);
    expect((await other.findCandidates(P, 'deployment', SEED_WEBHOOK_CREATE.object_name, [SEED_WEBHOOK_CREATE.event])).map((w) => w.created_at)).toContain(stamp);
    // The next change writes both into the record, keeping the creation stamp.
    const renamed = await registry.update(P, 'none-1', { name: 'none-1-renamed' });
    expect(renamed.created_at).toBe(stamp);
    expect(Date.parse(renamed.updated_at)).toBeGreaterThan(Date.parse(stamp ?? ''));
    expect(JSON.parse((await redis.get(keys.webhook(P, b.id))) ?? '{}')).toMatchObject({ created_at: stamp });
    expect(await registry.remove(P, 'none-2')).toBe(true);
  });

  it('keeps the match index right through every kind of update and the delete', async () => {
    const { keys, registry } = fresh();
    const idx = (type: string, name: string, event: string) => redis.smembers(keys.matchIndex(P, type, name, event));
    const candidates = async (type: string, name: string, events: string[]) =>
      (await registry.findCandidates(P, type, name, events)).map((w) => w.id).sort();

    const w = await registry.create(P, base);
    expect(await idx('deployment', 'deployment-1', 'deployment_request_finished')).toEqual([w.id]);
    expect(await candidates('deployment', 'deployment-1', ['deployment_request_finished'])).toEqual([w.id]);

    // event
    await registry.update(P, w.name, { event: 'deployment_request_failed' });
    expect(await idx('deployment', 'deployment-1', 'deployment_request_finished')).toEqual([]);
    expect(await idx('deployment', 'deployment-1', 'deployment_request_failed')).toEqual([w.id]);
    expect(await candidates('deployment', 'deployment-1', ['deployment_request_finished'])).toEqual([]);
    expect(
      await candidates('deployment', 'deployment-1', ['deployment_request_failed', 'deployment_request_finished']),
    ).toEqual([w.id]);

    // object name
    await registry.update(P, w.name, { object_name: 'deployment-2' });
    expect(await idx('deployment', 'deployment-1', 'deployment_request_failed')).toEqual([]);
    expect(await idx('deployment', 'deployment-2', 'deployment_request_failed')).toEqual([w.id]);

    // object type (with a fitting event)
    await registry.update(P, w.name, { object_type: 'pipeline', event: 'pipeline_request_started' });
    expect(await idx('deployment', 'deployment-2', 'deployment_request_failed')).toEqual([]);
    expect(await idx('pipeline', 'deployment-2', 'pipeline_request_started')).toEqual([w.id]);

    // version: the index key does not depend on it; the candidate carries the new version.
    await registry.update(P, w.name, { version: null });
    expect(await idx('pipeline', 'deployment-2', 'pipeline_request_started')).toEqual([w.id]);
    expect((await registry.findCandidates(P, 'pipeline', 'deployment-2', ['pipeline_request_started']))[0]?.version).toBeNull();

    // enabled: disabled webhooks stay indexed; the candidate says enabled: false.
    await registry.update(P, w.name, { enabled: false });
    expect(await idx('pipeline', 'deployment-2', 'pipeline_request_started')).toEqual([w.id]);
    const [disabled] = await registry.findCandidates(P, 'pipeline', 'deployment-2', ['pipeline_request_started']);
    expect(disabled?.enabled).toBe(false);

    // rename: the id, and so the index, stays.
    await registry.update(P, w.name, { name: 'renamed' });
    expect(await idx('pipeline', 'deployment-2', 'pipeline_request_started')).toEqual([w.id]);
    expect((await registry.findCandidates(P, 'pipeline', 'deployment-2', ['pipeline_request_started']))[0]?.name).toBe(
      'renamed',
    );

    // delete
    expect(await registry.remove(P, 'renamed')).toBe(true);
    expect(await idx('pipeline', 'deployment-2', 'pipeline_request_started')).toEqual([]);
    expect(await candidates('pipeline', 'deployment-2', ['pipeline_request_started'])).toEqual([]);
    expect(await redis.exists(keys.webhook(P, w.id))).toBe(0);
    expect(await redis.hlen(keys.webhookNames(P))).toBe(0);
  });

  it('finds candidates of one object only, for the given events, with full records', async () => {
    const { registry } = fresh();
    const finished = await registry.create(P, { ...base, name: 'a' });
    const failed = await registry.create(P, { ...base, name: 'b', event: 'deployment_request_failed', version: null });
    await registry.create(P, { ...base, name: 'c', event: 'deployment_request_started' });
    await registry.create(P, { ...base, name: 'd', object_name: 'deployment-2' });
    await registry.create('project-2', { ...base, name: 'e' });
    await registry.create(P, { ...base, name: 'f', object_type: 'pipeline', object_name: 'deployment-1', event: 'pipeline_request_finished' });
    const found = await registry.findCandidates(P, 'deployment', 'deployment-1', [
      'deployment_request_failed',
      'deployment_request_finished',
      'deployment_request_failed',
    ]);
    expect(found.map((w) => w.id).sort()).toEqual([finished.id, failed.id].sort());
    expect(found.find((w) => w.id === finished.id)?.headers[0]?.value).toBe('Token 123');
    expect(await registry.findCandidates(P, 'deployment', 'deployment-1', [])).toEqual([]);
  });

  it('finds candidates in two round trips whatever else is registered', async () => {
    const { keys, registry } = fresh();
    const mine = await registry.create(P, base);
    for (let i = 0; i < 100; i++) {
      await registry.create(P, { ...base, name: `other-${i}`, object_name: `deployment-x${i}` });
    }
    const counting = new Redis(inject('redisUrl'));
    try {
      await counting.ping();
      const sent: string[] = [];
      const sendCommand = counting.sendCommand.bind(counting);
      counting.sendCommand = (command, stream) => {
        sent.push(command.name);
        return sendCommand(command, stream);
      };
      const found = await createRegistry({ redis: counting, keys }).findCandidates(P, 'deployment', 'deployment-1', [
        'deployment_request_started',
        'deployment_request_completed',
        'deployment_request_finished',
      ]);
      expect(found.map((w) => w.id)).toEqual([mine.id]);
      expect(sent).toEqual(['sunion', 'mget']);
    } finally {
      await counting.quit();
    }
  });

  it('lists with combinable filters, sorted by name', async () => {
    const { registry } = fresh();
    await registry.create(P, { ...base, name: 'b', labels: { team: 'ml', env: 'prod' } });
    await registry.create(P, { ...base, name: 'a', labels: { team: 'ml', env: 'dev' } });
    await registry.create(P, { ...base, name: 'c', labels: { team: 'ops' }, event: 'deployment_request_failed' });
    await registry.create(P, {
      ...base,
      name: 'd',
      labels: { team: 'ml' },
      object_type: 'pipeline',
      event: 'pipeline_request_finished',
    });
    await registry.create('project-2', { ...base, name: 'z', labels: { team: 'ml' } });
    const names = async (filters: Parameters<Registry['list']>[1]) => (await registry.list(P, filters)).map((w) => w.name);
    expect(await names({})).toEqual(['a', 'b', 'c', 'd']);
    expect(await names({ labels: { team: 'ml' } })).toEqual(['a', 'b', 'd']);
    expect(await names({ labels: { team: 'ml', env: 'prod' } })).toEqual(['b']);
    expect(await names({ object_type: 'deployment' })).toEqual(['a', 'b', 'c']);
    expect(await names({ event: 'deployment_request_failed' })).toEqual(['c']);
    expect(await names({ labels: { team: 'ml' }, object_type: 'pipeline' })).toEqual(['d']);
    expect(await names({ labels: { team: 'ml' }, event: 'deployment_request_finished' })).toEqual(['a', 'b']);
    expect(await names({ labels: { toString: 'x' } })).toEqual([]);
    expect(await registry.list('empty-project')).toEqual([]);
  });

  it('publishes one notice per change with the version and every touched object', async () => {
    const { keys, registry } = fresh();
    const listener = await listen(keys);
    try {
      await registry.create(P, base);
      await registry.update(P, 'webhook-1', { url: 'https://elsewhere.example', keep_secrets: true });
      await registry.update(P, 'webhook-1', { object_name: 'deployment-2' });
      await registry.remove(P, 'webhook-1');
      await expect(registry.create(P, { ...base, event: 'pipeline_request_failed' })).rejects.toThrow();
      const notices = await listener.waitFor(4);
      const d1 = { project: P, object_type: 'deployment', object_name: 'deployment-1' };
      const d2 = { project: P, object_type: 'deployment', object_name: 'deployment-2' };
      expect(notices).toEqual([
        { version: 1, objects: [d1] },
        { version: 2, objects: [d1] },
        { version: 3, objects: [d1, d2] },
        { version: 4, objects: [d2] },
      ]);
      expect(listener.raw[0]).toBe(
        '{"version":1,"objects":[{"project":"project-1","object_type":"deployment","object_name":"deployment-1"}]}',
      );
      expect(await redis.get(keys.registryVersion())).toBe('4');
      // A refused create (taken name) changes nothing and publishes nothing.
      await registry.create(P, base);
      await expect(registry.create(P, base)).rejects.toThrow();
      await registry.update(P, 'webhook-1', { enabled: false });
      await listener.waitFor(6);
      expect(listener.notices.slice(4).map((n) => n.version)).toEqual([5, 6]);
      expect(await redis.get(keys.registryVersion())).toBe('6');
    } finally {
      await listener.stop();
    }
  });

  describe('events, project-wide webhooks and secrets', () => {
    const projectWide = { name: 'all', url: 'https://up42.example/hook', events: ['deployment_request_completed', 'pipeline_request_failed'] } as const;

    it('stores events (duplicates dropped, event = the first) and indexes each on the object', async () => {
      const { keys, registry } = fresh();
      const w = await registry.create(P, {
        ...base,
        event: undefined,
        events: ['deployment_request_failed', 'deployment_request_finished', 'deployment_request_failed'],
      });
      expect(w.events).toEqual(['deployment_request_failed', 'deployment_request_finished']);
      expect(w.event).toBe('deployment_request_failed');
      for (const e of w.events) expect(await redis.smembers(keys.matchIndex(P, 'deployment', 'deployment-1', e))).toEqual([w.id]);
      // `event` replaces the list with one event; `events` replaces it.
      const one = await registry.update(P, w.name, { event: 'deployment_request_started' });
      expect(one.events).toEqual(['deployment_request_started']);
      expect(await redis.smembers(keys.matchIndex(P, 'deployment', 'deployment-1', 'deployment_request_failed'))).toEqual([]);
      await expect(registry.update(P, w.name, { events: ['deployment_request_started', 'pipeline_request_failed'] })).rejects.toThrow(
        /^events\[1\]: must be one of deployment_request_/,
      );
      await expect(registry.update(P, w.name, { events: [] })).rejects.toThrow(/^events: must have at least one/);
      await expect(
        registry.update(P, w.name, { event: 'deployment_request_started', events: ['deployment_request_started'] }),
      ).rejects.toSatisfy((e) => hasCode(e, ErrorCode.VALIDATION));
    });

    it('a project-wide webhook has no object or version, its own index set per event, and may mix object types', async () => {
      const { keys, registry } = fresh();
      const w = await registry.create(P, projectWide);
      expect(w).toMatchObject({ object_type: null, object_name: null, version: null, events: projectWide.events, secret: null });
      for (const e of projectWide.events) expect(await redis.smembers(keys.projectMatchIndex(P, e))).toEqual([w.id]);
      expect(await registry.findProjectCandidates(P, ['pipeline_request_failed'])).toEqual([w]);
      expect(await registry.findProjectCandidates('project-2', ['pipeline_request_failed'])).toEqual([]);
      expect(await registry.findCandidates(P, 'deployment', 'deployment-1', ['deployment_request_completed'])).toEqual([]);
      // Scope rules: both object fields or neither; no version without an object; none added later.
      await expect(registry.create(P, { ...projectWide, name: 'x', version: 'v1' })).rejects.toThrow(/^version: /);
      await expect(registry.create(P, { ...projectWide, name: 'y', object_type: 'deployment' })).rejects.toThrow(/^object_name: required/);
      await expect(registry.updateById(P, w.id, { object_name: 'deployment-1' })).rejects.toThrow(/^object_name: a project-wide/);
      // Names are shared with object-scoped webhooks of the project.
      await expect(registry.create(P, { ...base, name: 'all' })).rejects.toSatisfy((e) => hasCode(e, ErrorCode.NAME_TAKEN));
      expect((await registry.list(P, { scope: 'project' })).map((x) => x.id)).toEqual([w.id]);
      expect(await registry.list(P, { scope: 'object' })).toEqual([]);
      expect((await registry.list(P, { event: 'pipeline_request_failed' })).map((x) => x.id)).toEqual([w.id]);

      const moved = await registry.updateById(P, w.id, { events: ['pipeline_request_started'], name: 'renamed' });
      expect(await redis.smembers(keys.projectMatchIndex(P, 'deployment_request_completed'))).toEqual([]);
      expect(await redis.smembers(keys.projectMatchIndex(P, 'pipeline_request_started'))).toEqual([w.id]);
      expect(moved.name).toBe('renamed');
      expect(await registry.removeById(P, w.id)).toBe(true);
      expect(await registry.removeById(P, w.id)).toBe(false);
      expect(await redis.smembers(keys.projectMatchIndex(P, 'pipeline_request_started'))).toEqual([]);
      expect(await redis.hlen(keys.webhookNames(P))).toBe(0);
    });

    it('finds project-wide candidates in two round trips, never reading other projects or object-scoped webhooks', async () => {
      const { keys, registry } = fresh();
      const mine = await registry.create(P, projectWide);
      for (let i = 0; i < 50; i++) {
        await registry.create(`project-x${i}`, projectWide);
        await registry.create(P, { ...base, name: `scoped-${i}`, event: 'deployment_request_completed' });
      }
      const counting = new Redis(inject('redisUrl'));
      try {
        await counting.ping();
        const sent: Array<{ name: string; args: string[] }> = [];
        const sendCommand = counting.sendCommand.bind(counting);
        counting.sendCommand = (command, stream) => {
          sent.push({ name: command.name, args: command.args.map(String) });
          return sendCommand(command, stream);
        };
        const found = await createRegistry({ redis: counting, keys }).findProjectCandidates(P, [
          'deployment_request_completed',
          'deployment_request_finished',
        ]);
        expect(found.map((w) => w.id)).toEqual([mine.id]);
        expect(sent.map((c) => c.name)).toEqual(['sunion', 'mget']);
        expect(sent[1]?.args).toEqual([keys.webhook(P, mine.id)]);
      } finally {
        await counting.quit();
      }
    });

    it('keeps a secret write-only in the record, keeps it on null, and keeps the replaced one as previous', async () => {
      const { keys, registry } = fresh();
      const w = await registry.create(P, { ...projectWide, secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
      expect(w.secret).toEqual({ current: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', previous: null, rotatedAt: null });
      expect(JSON.parse((await redis.get(keys.webhook(P, w.id))) ?? '{}').secret).toEqual(w.secret);
      // null (UP42's PUT) and absent keep it; the same secret again changes nothing.
      for (const secret of [null, undefined, 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']) {
        expect((await registry.updateById(P, w.id, { secret })).secret).toEqual(w.secret);
      }
      const before = Date.now();
      const rotated = await registry.updateById(P, w.id, { secret: 'plain text secret' });
      expect(rotated.secret).toMatchObject({ current: 'plain text secret', previous: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw' });
      expect(Date.parse(rotated.secret?.rotatedAt ?? '')).toBeGreaterThanOrEqual(before - 1);
      expect(rotated.secret?.rotatedAt).toBe(rotated.updated_at);
      const again = await registry.updateById(P, w.id, { secret: 'third' });
      expect(again.secret).toMatchObject({ current: 'third', previous: 'plain text secret' });
      // Refused, naming the field, without quoting the value.
      for (const secret of ['', 'x'.repeat(257), 'whsec_', 'whsec_not base64!']) {
        const err = await registry.updateById(P, w.id, { secret }).catch((e: unknown) => e);
        expect(hasCode(err, ErrorCode.VALIDATION), JSON.stringify(secret)).toBe(true);
        expect((err as Error).message).toMatch(/^secret: /);
        if (secret.length > 6) expect((err as Error).message).not.toContain(secret);
      }
      expect((await registry.getById(P, w.id))?.secret?.current).toBe('third');
    });

    it('publishes the project in notices about project-wide webhooks, objects for the others', async () => {
      const { keys, registry } = fresh();
      const listener = await listen(keys);
      try {
        const w = await registry.create(P, projectWide);
        await registry.updateById(P, w.id, { enabled: false });
        await registry.removeById(P, w.id);
        const notices = await listener.waitFor(3);
        expect(notices).toEqual([
          { version: 1, objects: [], projects: [P] },
          { version: 2, objects: [], projects: [P] },
          { version: 3, objects: [], projects: [P] },
        ]);
        expect(listener.raw[0]).toBe('{"version":1,"objects":[],"projects":["project-1"]}');
      } finally {
        await listener.stop();
      }
    });

    it('reads a record in the old shape (no events, secret or timestamps) and writes the current shape on its next change', async () => {
      const { keys, registry } = fresh();
      const created = await registry.create(P, base);
      const record = JSON.parse((await redis.get(keys.webhook(P, created.id))) ?? '{}');
      for (const f of ['events', 'secret', 'created_at', 'updated_at']) delete record[f];
      await redis.set(keys.webhook(P, created.id), JSON.stringify(record));
      const read = await registry.getById(P, created.id);
      expect(read).toMatchObject({ events: [base.event], event: base.event, secret: null });
      expect(await registry.findCandidates(P, 'deployment', 'deployment-1', [base.event ?? ''])).toEqual([read]);
      await registry.update(P, base.name, { secret: 'new-secret' });
      expect(JSON.parse((await redis.get(keys.webhook(P, created.id))) ?? '{}')).toMatchObject({
        events: [base.event],
        secret: { current: 'new-secret', previous: null, rotatedAt: null },
      });
    });
  });
});
