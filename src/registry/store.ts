/**
 * The webhook registry in Redis.
 *
 * Layout (all names from keys.ts):
 * - `keys.webhook(project, id)`: string, the whole record as JSON (secrets included), so N records
 *   come back in one MGET.
 * - `keys.webhookNames(project)`: hash name → id; name uniqueness and the project's list of webhooks.
 * - `keys.matchIndex(project, object_type, object_name, event)`: set of webhook ids. Every webhook is
 *   indexed, enabled or not, whatever its version: the consumer filters on enabled and version.
 * - `keys.registryVersion()`: counter incremented by every change.
 *
 * Every mutation is one Lua script that checks, writes the record, the name hash and the index,
 * increments the version and publishes the change notice, so a crash never leaves them disagreeing.
 * Updates and deletes are optimistic: the script applies only if the record is still the one read.
 */
import { randomUUID } from 'node:crypto';
import type { RedisClient as Redis } from '../redis/index.js';
import { ErrorCode, HookpostError } from '../errors.js';
import type { Keys } from './keys.js';
import { type ObjectType, type Webhook, type WebhookEvent, type WebhookHeader, eventsOf } from './model.js';
import { type RegistryObject, encodeNoticeObjects } from './notice.js';
import { defineScript, runScript } from './scripts.js';

/** Defaults of the optional fields of a webhook (seeds/000_*, `webhooks_create`). */
export const WEBHOOK_DEFAULTS = Object.freeze({
  headers: Object.freeze([]) as readonly WebhookHeader[],
  description: '',
  labels: Object.freeze({}) as Readonly<Record<string, string>>,
  version: null,
  timeout: 10,
  enabled: true,
  retry: false,
  include_result: false,
});

export interface WebhookHeaderInput {
  readonly key: string;
  readonly value: string;
  /** Default false. */
  readonly protected?: boolean;
}

/**
 * A header in a patch: `value` null or absent with `protected: true` keeps the stored protected
 * value (generated clients drop null fields, so absent means the same as null).
 */
export interface WebhookHeaderPatch {
  readonly key: string;
  readonly value?: string | null;
  /** Default false. */
  readonly protected?: boolean;
}

/** What a create needs; optional fields take WEBHOOK_DEFAULTS. The API validates before this. */
export interface WebhookCreate {
  readonly name: string;
  readonly url: string;
  readonly object_type: ObjectType;
  readonly object_name: string;
  readonly event: WebhookEvent;
  readonly headers?: readonly WebhookHeaderInput[];
  readonly description?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** null or absent: the object's default version. */
  readonly version?: string | null;
  /** Seconds, 1-30, default 10. */
  readonly timeout?: number;
  readonly enabled?: boolean;
  readonly retry?: boolean;
  readonly include_result?: boolean;
}

/** A partial update: absent fields keep their value; `headers` replaces the whole list. */
export interface WebhookPatch {
  readonly name?: string;
  readonly url?: string;
  readonly headers?: readonly WebhookHeaderPatch[];
  readonly object_type?: ObjectType;
  readonly object_name?: string;
  readonly version?: string | null;
  readonly description?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly event?: WebhookEvent;
  readonly timeout?: number;
  readonly enabled?: boolean;
  readonly retry?: boolean;
  readonly include_result?: boolean;
}

/** List filters; all given filters must hold. */
export interface WebhookFilters {
  /** Every pair must be among the webhook's labels. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly object_type?: string;
  readonly event?: string;
}

export interface Registry {
  /** Creates a webhook. Throws NAME_TAKEN when the name exists in the project, VALIDATION when the event does not fit the object type. */
  create(project: string, input: WebhookCreate): Promise<Webhook>;
  /** The full record (secrets included) by name, or null. */
  get(project: string, name: string): Promise<Webhook | null>;
  /** The project's webhooks matching every filter, sorted by name (full records). */
  list(project: string, filters?: WebhookFilters): Promise<Webhook[]>;
  /** Applies a patch. Throws NOT_FOUND, NAME_TAKEN (rename onto a taken name) or VALIDATION. */
  update(project: string, name: string, patch: WebhookPatch): Promise<Webhook>;
  /** Deletes a webhook; false when there was none. */
  remove(project: string, name: string): Promise<boolean>;
  /** The full record (secrets included) by id, or null. */
  getById(project: string, id: string): Promise<Webhook | null>;
  /**
   * Every indexed webhook of one object for any of `events` (full records, enabled or not, any
   * version; the caller filters). Two round trips (SUNION, MGET) whatever the registry's size.
   */
  findCandidates(
    project: string,
    objectType: string,
    objectName: string,
    events: readonly string[],
  ): Promise<Webhook[]>;
}

export interface RegistryOptions {
  readonly redis: Redis;
  readonly keys: Keys;
}

// KEYS: names, record, index, version. ARGV: name, id, record json, channel, notice objects.
const CREATE = defineScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[3])
redis.call('SADD', KEYS[3], ARGV[2])
local v = redis.call('INCR', KEYS[4])
redis.call('PUBLISH', ARGV[4], '{"version":' .. string.format('%d', v) .. ',"objects":' .. ARGV[5] .. '}')
return v
`);

// KEYS: names, record, old index, new index, version.
// ARGV: old name, new name, id, expected record json, new record json, channel, notice objects.
// -1: the record changed since it was read (retry), 0: the new name is taken, else the version.
const UPDATE = defineScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[3] then return -1 end
if redis.call('GET', KEYS[2]) ~= ARGV[4] then return -1 end
if ARGV[1] ~= ARGV[2] then
  if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then return 0 end
  redis.call('HDEL', KEYS[1], ARGV[1])
end
redis.call('SET', KEYS[2], ARGV[5])
if KEYS[3] ~= KEYS[4] then redis.call('SREM', KEYS[3], ARGV[3]) end
redis.call('SADD', KEYS[4], ARGV[3])
local v = redis.call('INCR', KEYS[5])
redis.call('PUBLISH', ARGV[6], '{"version":' .. string.format('%d', v) .. ',"objects":' .. ARGV[7] .. '}')
return v
`);

// KEYS: names, record, index, version. ARGV: name, id, expected record json, channel, notice objects.
// -1: the record changed since it was read (retry), else the version.
const REMOVE = defineScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return -1 end
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return -1 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('SREM', KEYS[3], ARGV[2])
local v = redis.call('INCR', KEYS[4])
redis.call('PUBLISH', ARGV[4], '{"version":' .. string.format('%d', v) .. ',"objects":' .. ARGV[5] .. '}')
return v
`);

/** Optimistic retries before giving up; only reached under a storm of writes to one webhook. */
const MAX_ATTEMPTS = 50;

const objectOf = (w: Pick<Webhook, 'project' | 'object_type' | 'object_name'>): RegistryObject => ({
  project: w.project,
  object_type: w.object_type,
  object_name: w.object_name,
});

function assertEventFits(objectType: ObjectType, event: WebhookEvent): void {
  const allowed: readonly string[] = eventsOf(objectType);
  if (!allowed.includes(event)) {
    throw new HookpostError(
      ErrorCode.VALIDATION,
      `event: must be one of ${allowed.join(', ')} for object_type ${objectType}`,
    );
  }
}

/** Resolves a patch's header list against the stored one (`value` null or absent keeps a protected value). */
function mergeHeaders(stored: readonly WebhookHeader[], patch: readonly WebhookHeaderPatch[]): WebhookHeader[] {
  return patch.map((h, i) => {
    if (h.value !== null && h.value !== undefined) return { key: h.key, value: h.value, protected: h.protected ?? false };
    const lower = h.key.toLowerCase();
    const kept = stored.find((s) => s.protected && s.key.toLowerCase() === lower);
    if (h.protected !== true || kept === undefined) {
      throw new HookpostError(
        ErrorCode.VALIDATION,
        `headers[${i}].value: required, unless protected: true keeps the value of a protected header already stored under that key`,
      );
    }
    return { key: h.key, value: kept.value, protected: true };
  });
}

/** A record as read: records written by other tools may lack the timestamps. */
type StoredWebhook = Omit<Webhook, 'created_at' | 'updated_at'> & { created_at?: string; updated_at?: string };

const parseRecord = (json: string | null): StoredWebhook | null =>
  json === null ? null : (JSON.parse(json) as StoredWebhook);

/**
 * The `updated_at` of a change: now, but always after the previous one, so `last_updated` moves
 * on every change even within one millisecond or when the clock steps back.
 */
function nextUpdatedAt(previous: string, nowMs: number): string {
  const previousMs = Date.parse(previous);
  return new Date(Number.isNaN(previousMs) ? nowMs : Math.max(nowMs, previousMs + 1)).toISOString();
}

/** Creates the registry store on an ioredis connection (a regular, non-subscriber one). */
export function createRegistry({ redis, keys }: RegistryOptions): Registry {
  const channel = keys.registryChannel();

  const readByName = async (project: string, name: string): Promise<{ id: string; json: string } | null> => {
    const id = await redis.hget(keys.webhookNames(project), name);
    if (id === null) return null;
    const json = await redis.get(keys.webhook(project, id));
    return json === null ? null : { id, json };
  };

  let legacyStamp: string | undefined;
  /** The registry's first-read stamp for records without any timestamp; the same for every reader. */
  const readLegacyStamp = async (): Promise<string> => {
    if (legacyStamp !== undefined) return legacyStamp;
    const key = keys.legacyTimestamp();
    await redis.set(key, new Date().toISOString(), 'NX');
    legacyStamp = (await redis.get(key)) ?? new Date().toISOString();
    return legacyStamp;
  };

  /**
   * Fills in missing timestamps: a record lacking one takes the other; a record lacking both takes
   * the legacy stamp. The record is rewritten with them on its next change. Records hookpost wrote
   * always have both, so the usual path neither copies nor reads anything.
   */
  const withTimestamps = async (record: StoredWebhook): Promise<Webhook> => {
    const { created_at: created, updated_at: updated } = record;
    if (created !== undefined && updated !== undefined) return record as Webhook;
    const fallback = created ?? updated ?? (await readLegacyStamp());
    return { ...record, created_at: created ?? fallback, updated_at: updated ?? fallback };
  };

  const readRecord = async (json: string | null): Promise<Webhook | null> => {
    const record = parseRecord(json);
    return record === null ? null : withTimestamps(record);
  };

  const get = async (project: string, name: string): Promise<Webhook | null> =>
    readRecord((await readByName(project, name))?.json ?? null);

  const getById = async (project: string, id: string): Promise<Webhook | null> =>
    readRecord(await redis.get(keys.webhook(project, id)));

  const fetchRecords = async (project: string, ids: readonly string[]): Promise<Webhook[]> => {
    if (ids.length === 0) return [];
    const jsons = await redis.mget(...ids.map((id) => keys.webhook(project, id)));
    const records: Webhook[] = [];
    for (const json of jsons) {
      const record = await readRecord(json);
      if (record !== null) records.push(record);
    }
    return records;
  };

  return {
    async create(project, input) {
      assertEventFits(input.object_type, input.event);
      const now = new Date().toISOString();
      const webhook: Webhook = {
        id: randomUUID(),
        project,
        name: input.name,
        url: input.url,
        headers: (input.headers ?? WEBHOOK_DEFAULTS.headers).map((h) => ({
          key: h.key,
          value: h.value,
          protected: h.protected ?? false,
        })),
        object_type: input.object_type,
        object_name: input.object_name,
        version: input.version ?? WEBHOOK_DEFAULTS.version,
        description: input.description ?? WEBHOOK_DEFAULTS.description,
        labels: { ...(input.labels ?? WEBHOOK_DEFAULTS.labels) },
        event: input.event,
        timeout: input.timeout ?? WEBHOOK_DEFAULTS.timeout,
        enabled: input.enabled ?? WEBHOOK_DEFAULTS.enabled,
        retry: input.retry ?? WEBHOOK_DEFAULTS.retry,
        include_result: input.include_result ?? WEBHOOK_DEFAULTS.include_result,
        created_at: now,
        updated_at: now,
      };
      const result = await runScript(
        redis,
        CREATE,
        [
          keys.webhookNames(project),
          keys.webhook(project, webhook.id),
          keys.matchIndex(project, webhook.object_type, webhook.object_name, webhook.event),
          keys.registryVersion(),
        ],
        [webhook.name, webhook.id, JSON.stringify(webhook), channel, encodeNoticeObjects([objectOf(webhook)])],
      );
      if (result === 0) {
        throw new HookpostError(ErrorCode.NAME_TAKEN, `name: a webhook named "${webhook.name}" already exists`);
      }
      return webhook;
    },

    get,
    getById,

    async list(project, filters = {}) {
      const ids = await redis.hvals(keys.webhookNames(project));
      const labelFilter = Object.entries(filters.labels ?? {});
      return (await fetchRecords(project, ids))
        .filter(
          (w) =>
            (filters.object_type === undefined || w.object_type === filters.object_type) &&
            (filters.event === undefined || w.event === filters.event) &&
            labelFilter.every(([k, v]) => Object.hasOwn(w.labels, k) && w.labels[k] === v),
        )
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    async update(project, name, patch) {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const current = await readByName(project, name);
        if (current === null) throw new HookpostError(ErrorCode.NOT_FOUND, `webhook "${name}" not found`);
        const old = await withTimestamps(JSON.parse(current.json) as StoredWebhook);
        const objectType = patch.object_type ?? old.object_type;
        const event = patch.event ?? old.event;
        assertEventFits(objectType, event);
        const next: Webhook = {
          ...old,
          name: patch.name ?? old.name,
          url: patch.url ?? old.url,
          headers: patch.headers === undefined ? old.headers : mergeHeaders(old.headers, patch.headers),
          object_type: objectType,
          object_name: patch.object_name ?? old.object_name,
          version: patch.version === undefined ? old.version : patch.version,
          description: patch.description ?? old.description,
          labels: patch.labels === undefined ? old.labels : { ...patch.labels },
          event,
          timeout: patch.timeout ?? old.timeout,
          enabled: patch.enabled ?? old.enabled,
          retry: patch.retry ?? old.retry,
          include_result: patch.include_result ?? old.include_result,
          updated_at: nextUpdatedAt(old.updated_at, Date.now()),
        };
        const result = await runScript(
          redis,
          UPDATE,
          [
            keys.webhookNames(project),
            keys.webhook(project, old.id),
            keys.matchIndex(project, old.object_type, old.object_name, old.event),
            keys.matchIndex(project, next.object_type, next.object_name, next.event),
            keys.registryVersion(),
          ],
          [
            old.name,
            next.name,
            old.id,
            current.json,
            JSON.stringify(next),
            channel,
            encodeNoticeObjects([objectOf(old), objectOf(next)]),
          ],
        );
        if (result === 0) {
          throw new HookpostError(ErrorCode.NAME_TAKEN, `name: a webhook named "${next.name}" already exists`);
        }
        if (result !== -1) return next;
      }
      throw new Error(`webhook "${name}" kept changing during ${MAX_ATTEMPTS} update attempts`);
    },

    async remove(project, name) {
      for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
        const current = await readByName(project, name);
        if (current === null) return false;
        const old = JSON.parse(current.json) as StoredWebhook;
        const result = await runScript(
          redis,
          REMOVE,
          [
            keys.webhookNames(project),
            keys.webhook(project, old.id),
            keys.matchIndex(project, old.object_type, old.object_name, old.event),
            keys.registryVersion(),
          ],
          [old.name, old.id, current.json, channel, encodeNoticeObjects([objectOf(old)])],
        );
        if (result !== -1) return true;
      }
      throw new Error(`webhook "${name}" kept changing during ${MAX_ATTEMPTS} delete attempts`);
    },

    async findCandidates(project, objectType, objectName, events) {
      const indexKeys = [...new Set(events)].map((e) => keys.matchIndex(project, objectType, objectName, e));
      if (indexKeys.length === 0) return [];
      const ids = await redis.sunion(...indexKeys);
      return fetchRecords(project, ids);
    },
  };
}
