/**
 * The webhook registry in Redis.
 *
 * Layout (all names from redis/keys.ts):
 * - `keys.webhook(project, id)`: string, the whole record as JSON (secrets included), so N records
 *   come back in one MGET.
 * - `keys.webhookNames(project)`: hash name → id; name uniqueness (across both API surfaces) and the
 *   project's list of webhooks.
 * - `keys.matchIndex(project, object_type, object_name, event)`: set of ids of the webhooks on that
 *   object subscribed to that event.
 * - `keys.projectMatchIndex(project, event)`: set of ids of the project-wide webhooks subscribed to
 *   that event. Every webhook is indexed once per event, enabled or not, whatever its version: the
 *   consumer filters on enabled and version.
 * - `keys.registryVersion()`: counter incremented by every change.
 *
 * Every mutation is one Lua script that checks, writes the record, the name hash and the index,
 * increments the version and publishes the change notice, so a crash never leaves them disagreeing.
 * Updates and deletes are optimistic: the script applies only if the record is still the one read.
 *
 * Protected header values and secrets are encrypted in Redis (see secrets-cipher.ts) with the
 * webhook id as associated data: `seal` runs on every write, `open` on every read, so every reader
 * (API, matcher, webhook tests, delivery) gets plaintext in memory only. A record whose values do
 * not decrypt here (a key this process lacks, a tampered value) reads marked `secretsUnreadable`, with
 * those values empty: listed, deletable, never sent and never written back (see `openOrMark`).
 * Plaintext values of earlier versions read as is and are encrypted on the record's next write or by
 * `reencryptWebhooks`.
 *
 * Older records migrate on read: a record without `events` reads as `events: [event]`, one without
 * `secret` as `secret: null`, one without timestamps as described at `normalize`. Their index
 * entries are already the ones a one-event webhook has, so nothing needs rewriting; the record is
 * written in the current shape on its next change.
 */
import { randomUUID } from 'node:crypto';
import type { Keys, RedisClient as Redis } from '../redis/index.js';
import { ErrorCode, HookpostError, hasCode } from '../errors.js';
import {
  type ObjectScope,
  type ObjectType,
  type ProjectScope,
  type StoredWebhookSecrets,
  type Webhook,
  type WebhookEvent,
  type WebhookHeader,
  eventsOf,
  isProjectWide,
  isWebhookEvent,
} from './model.js';
import { type RegistryObject, encodeNoticeObjects, encodeNoticeProjects } from './notice.js';
import { type ReencryptCounts, forEachKey } from './reencrypt-scan.js';
import { defineScript, runScript } from './scripts.js';
import { nextSecrets } from './secrets.js';
import { type SecretsCipher, isEncrypted } from './secrets-cipher.js';

/** Defaults of the optional fields of a webhook (UbiOps API reference, `webhooks_create`). */
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

/**
 * What a create needs; optional fields take WEBHOOK_DEFAULTS. The API validates before this.
 * `object_type` and `object_name` together scope the webhook to one object; both absent make it
 * project-wide (every deployment and pipeline of the project, any version; no `version` then).
 */
export interface WebhookCreate {
  readonly name: string;
  readonly url: string;
  readonly object_type?: ObjectType;
  readonly object_name?: string;
  /** The events, at least one (duplicates dropped). When absent, `[event]`. */
  readonly events?: readonly WebhookEvent[];
  /** One event: the UbiOps form, used when `events` is absent. */
  readonly event?: WebhookEvent;
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
  /** The Standard Webhooks secret, 1-256 characters (a `whsec_` one must decode); null or absent: none. */
  readonly secret?: string | null;
}

/**
 * A partial update: absent fields keep their value; `headers` replaces the whole list; `event`
 * replaces the events with that one, `events` with those (not both). `secret` null or absent keeps
 * the stored secret; another secret replaces it and the old one keeps signing for 24 h. A
 * project-wide webhook takes no `object_type`, `object_name` or `version`.
 */
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
  readonly events?: readonly WebhookEvent[];
  readonly timeout?: number;
  readonly enabled?: boolean;
  readonly retry?: boolean;
  readonly include_result?: boolean;
  readonly secret?: string | null;
  /**
   * The exfiltration guard: a `url` on another origin (scheme, host, port) that keeps stored
   * protected header values or the secret without re-sending them is refused (VALIDATION) unless
   * this is true.
   */
  readonly keep_secrets?: boolean;
}

/** List filters; all given filters must hold. */
export interface WebhookFilters {
  /** Every pair must be among the webhook's labels. */
  readonly labels?: Readonly<Record<string, string>>;
  readonly object_type?: string;
  /** One of the webhook's events. */
  readonly event?: string;
  /** `object`: webhooks on one object only; `project`: project-wide ones only; absent: both. */
  readonly scope?: 'object' | 'project';
}

export interface Registry {
  /** Creates a webhook. Throws NAME_TAKEN when the name exists in the project, VALIDATION when the events do not fit the scope. */
  create(project: string, input: WebhookCreate): Promise<Webhook>;
  /** The full record (secrets included) by name, or null. */
  get(project: string, name: string): Promise<Webhook | null>;
  /** The project's webhooks matching every filter, sorted by name (full records). */
  list(project: string, filters?: WebhookFilters): Promise<Webhook[]>;
  /** Applies a patch. Throws NOT_FOUND, NAME_TAKEN (rename onto a taken name) or VALIDATION. */
  update(project: string, name: string, patch: WebhookPatch): Promise<Webhook>;
  /** `update` of the webhook with this id (stays on that webhook even if it is renamed meanwhile). */
  updateById(project: string, id: string, patch: WebhookPatch): Promise<Webhook>;
  /** Deletes a webhook; false when there was none. */
  remove(project: string, name: string): Promise<boolean>;
  /** Deletes the webhook with this id; false when there was none. */
  removeById(project: string, id: string): Promise<boolean>;
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
  /**
   * Every project-wide webhook of `project` for any of `events` (full records, enabled or not).
   * Two round trips (SUNION, MGET): other projects' webhooks and object-scoped ones are never read.
   */
  findProjectCandidates(project: string, events: readonly string[]): Promise<Webhook[]>;
  /**
   * Every webhook of the project, sorted by name, for listings that must go on when one record
   * cannot be opened: a record whose protected values do not decrypt (SECRET_UNREADABLE, e.g. its
   * key is not in the key file) comes back in `unreadable`, its protected values and secret blanked.
   */
  listReadable(project: string): Promise<{ readonly readable: Webhook[]; readonly unreadable: UnreadableWebhook[] }>;
}

/** A stored webhook whose protected values cannot be decrypted: its plain fields, and why. */
export interface UnreadableWebhook {
  /** The record with every protected header value and the secret blanked (`''`). */
  readonly webhook: Webhook;
  /** The SECRET_UNREADABLE message (names the key id, never a value). */
  readonly problem: string;
}

export interface RegistryOptions {
  readonly redis: Redis;
  readonly keys: Keys;
  /**
   * Encrypts protected header values and secrets on write and decrypts them on read. Every process
   * passes one (src/lifecycle/services.ts); without it values are written in plaintext and an
   * encrypted value read throws SECRET_UNREADABLE (tests and tools that seed legacy records only).
   */
  readonly cipher?: SecretsCipher;
}

// Every script: KEYS[1] names, KEYS[2] record, KEYS[3] version, then index sets. The notice is
// '{"version":<v>,"objects":<objects json><projects part>}' (see notice.ts).

// KEYS[4..]: the index sets. ARGV: name, id, record json, channel, notice objects, notice projects.
const CREATE = defineScript(`
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 0 then return 0 end
redis.call('SET', KEYS[2], ARGV[3])
for i = 4, #KEYS do redis.call('SADD', KEYS[i], ARGV[2]) end
local v = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[4], '{"version":' .. string.format('%d', v) .. ',"objects":' .. ARGV[5] .. ARGV[6] .. '}')
return v
`);

// KEYS[4..3+n]: the old index sets, then the new ones. ARGV: old name, new name, id, expected record
// json, new record json, channel, notice objects, notice projects, n.
// -1: the record changed since it was read (retry), 0: the new name is taken, else the version.
const UPDATE = defineScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[3] then return -1 end
if redis.call('GET', KEYS[2]) ~= ARGV[4] then return -1 end
if ARGV[1] ~= ARGV[2] then
  if redis.call('HSETNX', KEYS[1], ARGV[2], ARGV[3]) == 0 then return 0 end
  redis.call('HDEL', KEYS[1], ARGV[1])
end
redis.call('SET', KEYS[2], ARGV[5])
local old = tonumber(ARGV[9])
for i = 4, 3 + old do redis.call('SREM', KEYS[i], ARGV[3]) end
for i = 4 + old, #KEYS do redis.call('SADD', KEYS[i], ARGV[3]) end
local v = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[6], '{"version":' .. string.format('%d', v) .. ',"objects":' .. ARGV[7] .. ARGV[8] .. '}')
return v
`);

// KEYS[4..]: the index sets. ARGV: name, id, expected record json, channel, notice objects, notice projects.
// -1: the record changed since it was read (retry), else the version.
const REMOVE = defineScript(`
if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return -1 end
if redis.call('GET', KEYS[2]) ~= ARGV[3] then return -1 end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
for i = 4, #KEYS do redis.call('SREM', KEYS[i], ARGV[2]) end
local v = redis.call('INCR', KEYS[3])
redis.call('PUBLISH', ARGV[4], '{"version":' .. string.format('%d', v) .. ',"objects":' .. ARGV[5] .. ARGV[6] .. '}')
return v
`);

/** Optimistic retries before giving up; only reached under a storm of writes to one webhook. */
const MAX_ATTEMPTS = 50;

const PROJECT_SCOPE: ProjectScope = Object.freeze({ object_type: null, object_name: null, version: null });

/** The scope a create asks for: both object fields, or neither (project-wide, then without version). */
function scopeOf(input: WebhookCreate): ObjectScope | ProjectScope {
  const { object_type, object_name } = input;
  if (object_type === undefined && object_name === undefined) {
    if (input.version !== undefined && input.version !== null) {
      throw new HookpostError(ErrorCode.VALIDATION, 'version: only a webhook on one object (object_type, object_name) has a version');
    }
    return PROJECT_SCOPE;
  }
  if (object_type === undefined || object_name === undefined) {
    const missing = object_type === undefined ? 'object_type' : 'object_name';
    throw new HookpostError(ErrorCode.VALIDATION, `${missing}: required with ${missing === 'object_type' ? 'object_name' : 'object_type'}`);
  }
  return { object_type, object_name, version: input.version ?? WEBHOOK_DEFAULTS.version };
}

/**
 * The events as stored: duplicates dropped (first kept), at least one, each of the catalog and, for
 * a webhook on an object, of its type. `field` names the input in messages (`event` or `events`).
 */
function checkEvents(
  events: readonly string[] | undefined,
  objectType: ObjectType | null,
  field: 'event' | 'events',
): [WebhookEvent, ...WebhookEvent[]] {
  if (events === undefined || events.length === 0) {
    throw new HookpostError(ErrorCode.VALIDATION, field === 'event' ? 'event: required' : 'events: must have at least one event');
  }
  const allowed: readonly string[] | undefined = objectType === null ? undefined : eventsOf(objectType);
  const unique: WebhookEvent[] = [];
  events.forEach((event, i) => {
    const at = field === 'event' ? 'event' : `events[${i}]`;
    if (!isWebhookEvent(event)) throw new HookpostError(ErrorCode.VALIDATION, `${at}: not an event of the catalog`);
    if (allowed !== undefined && !allowed.includes(event)) {
      throw new HookpostError(ErrorCode.VALIDATION, `${at}: must be one of ${allowed.join(', ')} for object_type ${objectType}`);
    }
    if (!unique.includes(event)) unique.push(event);
  });
  return unique as [WebhookEvent, ...WebhookEvent[]];
}

/** The events a create or patch gives, and the field they came in; undefined when it gives none. */
function eventsGiven(input: { event?: WebhookEvent; events?: readonly WebhookEvent[] }): {
  events: readonly WebhookEvent[];
  field: 'event' | 'events';
} | undefined {
  if (input.events !== undefined) return { events: input.events, field: 'events' };
  if (input.event !== undefined) return { events: [input.event], field: 'event' };
  return undefined;
}

const objectsOf = (w: Webhook): RegistryObject[] =>
  isProjectWide(w) ? [] : [{ project: w.project, object_type: w.object_type, object_name: w.object_name }];

const projectsOf = (w: Webhook): string[] => (isProjectWide(w) ? [w.project] : []);

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

/** `scheme://host:port` of a URL (default ports made explicit), or the URL itself when it does not parse. */
function originOf(url: string): string {
  try {
    const u = new URL(url);
    const port = u.port === '' ? (u.protocol === 'https:' ? '443' : u.protocol === 'http:' ? '80' : '') : u.port;
    return `${u.protocol}//${u.hostname}:${port}`;
  } catch {
    return url;
  }
}

/**
 * Refuses a patch that moves the webhook to another origin while keeping stored protected header
 * values or the secret without re-sending them (a token holder could otherwise point the webhook at
 * their own server and collect them), unless it says `keep_secrets: true`.
 */
function guardRetarget(old: Webhook, patch: WebhookPatch): void {
  if (patch.url === undefined || patch.keep_secrets === true || originOf(patch.url) === originOf(old.url)) return;
  const kept: string[] = [];
  const keptHeaders =
    patch.headers === undefined
      ? old.headers.filter((h) => h.protected).map((h) => h.key)
      : patch.headers.filter((h) => h.protected === true && (h.value === null || h.value === undefined)).map((h) => h.key);
  if (keptHeaders.length > 0) kept.push(`the values of the protected headers ${keptHeaders.join(', ')} (field headers)`);
  if (old.secret !== null && (patch.secret === null || patch.secret === undefined)) kept.push('the secret (field secret)');
  if (kept.length === 0) return;
  throw new HookpostError(
    ErrorCode.VALIDATION,
    `url: moves the webhook to another origin (${originOf(patch.url)}) while keeping ${kept.join(' and ')} without re-sending them; ` +
      're-send the values in this request, or set "keep_secrets": true to send the stored ones to the new origin',
  );
}

/** Associated data of a webhook's encrypted values: they decrypt only in their own record. */
const webhookContext = (id: string) => `webhook:${id}`;

/** A cipher's place when none is given: plaintext out, and a loud failure on an encrypted value. */
const PLAINTEXT: SecretsCipher = {
  currentKeyId: 'plaintext',
  encrypt: (plaintext) => plaintext,
  decrypt(stored, context) {
    if (!isEncrypted(stored)) return stored;
    throw new HookpostError(
      ErrorCode.SECRET_UNREADABLE,
      `a stored secret of ${context} is encrypted, but no encryption key is configured (HOOKPOST_ENCRYPTION_KEY_FILE)`,
    );
  },
  isCurrent: () => false,
};

/** Applies `transform` to every protected header value and secret of a record. */
function mapSecrets(w: Webhook, transform: (value: string) => string): Webhook {
  const { secret } = w;
  return {
    ...w,
    headers: w.headers.map((h) => (h.protected ? { ...h, value: transform(h.value) } : h)),
    secret:
      secret === null
        ? null
        : {
            ...secret,
            current: transform(secret.current),
            previous: typeof secret.previous === 'string' ? transform(secret.previous) : null,
          },
  };
}

/** The record as written to Redis: protected header values and secrets encrypted. */
const sealWebhook = (cipher: SecretsCipher, w: Webhook): Webhook =>
  mapSecrets(w, (value) => cipher.encrypt(value, webhookContext(w.id)));

/** The record as used in memory: protected header values and secrets decrypted. */
const openWebhook = (cipher: SecretsCipher, w: Webhook): Webhook =>
  mapSecrets(w, (value) => cipher.decrypt(value, webhookContext(w.id)));

/**
 * {@link openWebhook}, or, when a value does not decrypt (SECRET_UNREADABLE: a key this process
 * lacks, or a tampered value), the record marked `secretsUnreadable` with every protected header
 * value empty and no secret: one such record must not stop the reading of the others (a list, an
 * event's candidates), and it is never sent or written back (the pipeline and `update` refuse it).
 */
function openOrMark(cipher: SecretsCipher, w: Webhook): Webhook {
  try {
    return openWebhook(cipher, w);
  } catch (err) {
    if (!hasCode(err, ErrorCode.SECRET_UNREADABLE)) throw err;
    return {
      ...w,
      headers: w.headers.map((h) => (h.protected ? { ...h, value: '' } : h)),
      secret: null,
      secretsUnreadable: err.message,
    };
  }
}

/** The error of a change to a record whose secrets this process cannot decrypt. */
const unreadableWebhook = (w: Webhook) =>
  new HookpostError(
    ErrorCode.SECRET_UNREADABLE,
    `webhook "${w.name}" cannot be changed here: ${w.secretsUnreadable ?? 'its stored secrets cannot be decrypted'}. ` +
      'Give this process the encryption key (HOOKPOST_ENCRYPTION_KEY_FILE) and retry, or delete the webhook and create it again',
  );

/** Every stored secret value of a record, as stored. */
const storedSecretsOf = (w: Webhook): string[] => [
  ...w.headers.filter((h) => h.protected).map((h) => h.value),
  ...(w.secret === null ? [] : [w.secret.current, ...(w.secret.previous ? [w.secret.previous] : [])]),
];

/**
 * A record as read. Records written by earlier versions (or other tools) may lack `events`,
 * `secret` and the timestamps; object fields absent read as null (project-wide).
 */
type StoredWebhook = Omit<Webhook, 'created_at' | 'updated_at' | 'events' | 'secret' | 'object_type' | 'object_name' | 'version'> & {
  object_type?: ObjectType | null;
  object_name?: string | null;
  version?: string | null;
  events?: readonly WebhookEvent[];
  secret?: StoredWebhookSecrets | null;
  created_at?: string;
  updated_at?: string;
};

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
export function createRegistry({ redis, keys, cipher = PLAINTEXT }: RegistryOptions): Registry {
  const channel = keys.registryChannel();
  const seal = (w: Webhook) => sealWebhook(cipher, w);

  /** The index sets a webhook is in: one per event, on its object or on its project. */
  const indexKeysOf = (w: Webhook): string[] =>
    isProjectWide(w)
      ? w.events.map((e) => keys.projectMatchIndex(w.project, e))
      : w.events.map((e) => keys.matchIndex(w.project, w.object_type, w.object_name, e));

  const readByName = async (project: string, name: string): Promise<{ id: string; json: string } | null> => {
    const id = await redis.hget(keys.webhookNames(project), name);
    if (id === null) return null;
    const json = await redis.get(keys.webhook(project, id));
    return json === null ? null : { id, json };
  };

  const readById = async (project: string, id: string): Promise<{ id: string; json: string } | null> => {
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
   * Migrates a record on read. Missing timestamps: a record lacking one takes the other; a record
   * lacking both takes the legacy stamp. Missing `events`: `[event]`; missing `secret`: null;
   * missing object fields: null. The record is rewritten in full on its next change. Records this
   * version wrote have every field, so the usual path neither copies nor reads anything.
   */
  const normalize = async (record: StoredWebhook): Promise<Webhook> => {
    const { created_at: created, updated_at: updated, events, secret } = record;
    const complete =
      created !== undefined &&
      updated !== undefined &&
      events !== undefined &&
      events.length > 0 &&
      secret !== undefined &&
      record.object_name !== undefined;
    if (complete) return record as Webhook;
    const fallback = created ?? updated ?? (await readLegacyStamp());
    const scoped = typeof record.object_name === 'string' && typeof record.object_type === 'string';
    const eventList = events !== undefined && events.length > 0 ? events : [record.event];
    return {
      ...record,
      ...(scoped
        ? { object_type: record.object_type as ObjectType, object_name: record.object_name as string, version: record.version ?? null }
        : PROJECT_SCOPE),
      events: eventList,
      event: eventList[0] ?? record.event,
      secret: secret ?? null,
      created_at: created ?? fallback,
      updated_at: updated ?? fallback,
    };
  };

  const readRecord = async (json: string | null): Promise<Webhook | null> => {
    const record = parseRecord(json);
    return record === null ? null : openOrMark(cipher, await normalize(record));
  };

  const get = async (project: string, name: string): Promise<Webhook | null> =>
    readRecord((await readByName(project, name))?.json ?? null);

  const getById = async (project: string, id: string): Promise<Webhook | null> =>
    readRecord((await readById(project, id))?.json ?? null);

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

  /** The webhook after `patch`, validated; `old` as read. */
  const applyPatch = (old: Webhook, patch: WebhookPatch, nowMs: number): Webhook => {
    if (patch.event !== undefined && patch.events !== undefined) {
      throw new HookpostError(ErrorCode.VALIDATION, 'events: give either event or events, not both');
    }
    const given = eventsGiven(patch);
    let scope: ObjectScope | ProjectScope;
    if (isProjectWide(old)) {
      const field = (['object_type', 'object_name', 'version'] as const).find((f) => patch[f] !== undefined);
      if (field !== undefined) {
        throw new HookpostError(ErrorCode.VALIDATION, `${field}: a project-wide webhook has no object scope`);
      }
      scope = PROJECT_SCOPE;
    } else {
      scope = {
        object_type: patch.object_type ?? old.object_type,
        object_name: patch.object_name ?? old.object_name,
        version: patch.version === undefined ? old.version : patch.version,
      };
    }
    const events = checkEvents(
      given?.events ?? old.events,
      scope.object_type,
      given?.field ?? (old.events.length === 1 ? 'event' : 'events'),
    );
    const updatedAt = nextUpdatedAt(old.updated_at, nowMs);
    const secret = nextSecrets(old.secret, patch.secret, updatedAt);
    const moved = patch.url !== undefined && originOf(patch.url) !== originOf(old.url);
    return {
      ...old,
      ...scope,
      name: patch.name ?? old.name,
      url: patch.url ?? old.url,
      headers: patch.headers === undefined ? old.headers : mergeHeaders(old.headers, patch.headers),
      description: patch.description ?? old.description,
      labels: patch.labels === undefined ? old.labels : { ...patch.labels },
      events,
      event: events[0],
      timeout: patch.timeout ?? old.timeout,
      enabled: patch.enabled ?? old.enabled,
      retry: patch.retry ?? old.retry,
      include_result: patch.include_result ?? old.include_result,
      // A receiver on another origin never knew any replaced secret: moving drops every previous one
      // (also when the current one is re-sent or kept), so only the current secret signs there.
      secret: moved && secret?.previous ? { current: secret.current, previous: null, rotatedAt: null } : secret,
      updated_at: updatedAt,
    };
  };

  type Locate = (project: string, key: string) => Promise<{ id: string; json: string } | null>;

  const updateWith = async (locate: Locate, project: string, key: string, patch: WebhookPatch): Promise<Webhook> => {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await locate(project, key);
      if (current === null) throw new HookpostError(ErrorCode.NOT_FOUND, `webhook "${key}" not found`);
      const old = openOrMark(cipher, await normalize(JSON.parse(current.json) as StoredWebhook));
      // Its secrets cannot be read here: writing it back would lose them.
      if (old.secretsUnreadable !== undefined) throw unreadableWebhook(old);
      guardRetarget(old, patch);
      const next = applyPatch(old, patch, Date.now());
      const oldIndex = indexKeysOf(old);
      const result = await runScript(
        redis,
        UPDATE,
        [keys.webhookNames(project), keys.webhook(project, old.id), keys.registryVersion(), ...oldIndex, ...indexKeysOf(next)],
        [
          old.name,
          next.name,
          old.id,
          current.json,
          JSON.stringify(seal(next)),
          channel,
          encodeNoticeObjects([...objectsOf(old), ...objectsOf(next)]),
          encodeNoticeProjects([...projectsOf(old), ...projectsOf(next)]),
          oldIndex.length,
        ],
      );
      if (result === 0) {
        throw new HookpostError(ErrorCode.NAME_TAKEN, `name: a webhook named "${next.name}" already exists`);
      }
      if (result !== -1) return next;
    }
    throw new Error(`webhook "${key}" kept changing during ${MAX_ATTEMPTS} update attempts`);
  };

  const removeWith = async (locate: Locate, project: string, key: string): Promise<boolean> => {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = await locate(project, key);
      if (current === null) return false;
      const old = await normalize(JSON.parse(current.json) as StoredWebhook);
      const result = await runScript(
        redis,
        REMOVE,
        [keys.webhookNames(project), keys.webhook(project, old.id), keys.registryVersion(), ...indexKeysOf(old)],
        [old.name, old.id, current.json, channel, encodeNoticeObjects(objectsOf(old)), encodeNoticeProjects(projectsOf(old))],
      );
      if (result !== -1) return true;
    }
    throw new Error(`webhook "${key}" kept changing during ${MAX_ATTEMPTS} delete attempts`);
  };

  return {
    async create(project, input) {
      if (input.event !== undefined && input.events !== undefined && input.event !== input.events[0]) {
        throw new HookpostError(ErrorCode.VALIDATION, 'events: give either event or events, not both');
      }
      const scope = scopeOf(input);
      const given = eventsGiven(input);
      const events = checkEvents(given?.events, scope.object_type, given?.field ?? 'event');
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
        ...scope,
        description: input.description ?? WEBHOOK_DEFAULTS.description,
        labels: { ...(input.labels ?? WEBHOOK_DEFAULTS.labels) },
        events,
        event: events[0],
        timeout: input.timeout ?? WEBHOOK_DEFAULTS.timeout,
        enabled: input.enabled ?? WEBHOOK_DEFAULTS.enabled,
        retry: input.retry ?? WEBHOOK_DEFAULTS.retry,
        include_result: input.include_result ?? WEBHOOK_DEFAULTS.include_result,
        secret: nextSecrets(null, input.secret, now),
        created_at: now,
        updated_at: now,
      };
      const result = await runScript(
        redis,
        CREATE,
        [keys.webhookNames(project), keys.webhook(project, webhook.id), keys.registryVersion(), ...indexKeysOf(webhook)],
        [
          webhook.name,
          webhook.id,
          JSON.stringify(seal(webhook)),
          channel,
          encodeNoticeObjects(objectsOf(webhook)),
          encodeNoticeProjects(projectsOf(webhook)),
        ],
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
            (filters.scope === undefined || (filters.scope === 'project') === isProjectWide(w)) &&
            (filters.object_type === undefined || w.object_type === filters.object_type) &&
            (filters.event === undefined || (w.events as readonly string[]).includes(filters.event)) &&
            labelFilter.every(([k, v]) => Object.hasOwn(w.labels, k) && w.labels[k] === v),
        )
        .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    },

    update: (project, name, patch) => updateWith(readByName, project, name, patch),
    updateById: (project, id, patch) => updateWith(readById, project, id, patch),
    remove: (project, name) => removeWith(readByName, project, name),
    removeById: (project, id) => removeWith(readById, project, id),

    async findCandidates(project, objectType, objectName, events) {
      const indexKeys = [...new Set(events)].map((e) => keys.matchIndex(project, objectType, objectName, e));
      if (indexKeys.length === 0) return [];
      const ids = await redis.sunion(...indexKeys);
      return fetchRecords(project, ids);
    },

    async listReadable(project) {
      const ids = await redis.hvals(keys.webhookNames(project));
      const jsons = ids.length === 0 ? [] : await redis.mget(...ids.map((id) => keys.webhook(project, id)));
      const readable: Webhook[] = [];
      const unreadable: UnreadableWebhook[] = [];
      for (const json of jsons) {
        const record = parseRecord(json);
        if (record === null) continue;
        const stored = await normalize(record);
        try {
          readable.push(openWebhook(cipher, stored));
        } catch (err) {
          if (!(err instanceof HookpostError && err.code === ErrorCode.SECRET_UNREADABLE)) throw err;
          unreadable.push({ webhook: mapSecrets(stored, () => ''), problem: err.message });
        }
      }
      const byName = (a: { name: string }, b: { name: string }) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);
      readable.sort(byName);
      unreadable.sort((a, b) => byName(a.webhook, b.webhook));
      return { readable, unreadable };
    },

    async findProjectCandidates(project, events) {
      const indexKeys = [...new Set(events)].map((e) => keys.projectMatchIndex(project, e));
      if (indexKeys.length === 0) return [];
      const ids = await redis.sunion(...indexKeys);
      return fetchRecords(project, ids);
    },
  };
}

// KEYS: the record. ARGV: expected json, new json. 1: written; 0: changed meanwhile (read again).
const REWRITE = defineScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
return 1
`);

/**
 * Re-encrypts every webhook record under the cipher's current key: plaintext values (records of
 * earlier versions) are encrypted, values under older keys moved to the current one. Idempotent;
 * the content and `updated_at` do not change, so nothing is notified. Safe beside running
 * processes: each record is swapped only if unchanged since read (else read again).
 */
export async function reencryptWebhooks(
  { redis, keys, cipher }: Required<Pick<RegistryOptions, 'redis' | 'keys' | 'cipher'>>,
  log: (err: unknown, key: string) => void = () => {},
): Promise<ReencryptCounts> {
  const counts = { scanned: 0, rewritten: 0, current: 0, unreadable: 0 };
  // `*` is kept as is by the key builder's escaping, so this is the glob of every record key.
  await forEachKey(redis, keys.webhook('*', '*'), async (key) => {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const json = await redis.get(key);
      if (json === null) return;
      if (attempt === 0) counts.scanned++;
      const raw = JSON.parse(json) as Webhook;
      const stored = { ...raw, headers: raw.headers ?? [], secret: raw.secret ?? null };
      if (storedSecretsOf(stored).every((v) => cipher.isCurrent(v))) {
        counts.current++;
        return;
      }
      let sealed: string;
      try {
        const plain = openWebhook(cipher, stored);
        sealed = JSON.stringify({ ...raw, ...sealWebhook(cipher, plain) });
      } catch (err) {
        counts.unreadable++;
        log(err, key);
        return;
      }
      if ((await runScript(redis, REWRITE, [key], [json, sealed])) === 1) {
        counts.rewritten++;
        return;
      }
    }
  });
  return counts;
}
