/**
 * In-memory cache of the match index: candidates per (project, object_type, object_name), and the
 * project-wide candidates per (project, object_type), filled from the registry on first use and
 * dropped when the registry's change notice names the object (or, for project-wide webhooks, the
 * project). No Redis work per event once cached, and the cost does not depend on how many webhooks
 * other objects or projects have (what is never asked for is never loaded).
 */
import type { Keys, RedisClient as Redis } from '../redis/index.js';
import type { Logger } from '../observability/logger.js';
import { OBJECT_TYPES, type ObjectType, type Webhook, type WebhookEvent, eventsOf } from '../registry/model.js';
import { parseRegistryNotice } from '../registry/index.js';
import { type Match, type MatchableEvent, selectMatches } from './select.js';

export interface CandidateSource {
  findCandidates(
    project: string,
    objectType: ObjectType,
    objectName: string,
    events: readonly string[],
  ): Promise<Webhook[]>;
  findProjectCandidates(project: string, events: readonly string[]): Promise<Webhook[]>;
}

export interface MatchedObject extends MatchableEvent {
  readonly project: string;
  readonly object_type: ObjectType;
  readonly object_name: string;
}

export interface Matcher {
  /** Subscribes to the registry's change notices; until then (and while disconnected) nothing is cached. */
  start(): Promise<void>;
  match(event: MatchedObject, fired: readonly WebhookEvent[]): Promise<Match[]>;
  /** Drops every cached object. */
  clear(): void;
  close(): Promise<void>;
}

export interface MatcherOptions {
  readonly source: CandidateSource;
  /** A connection of its own: it is put in subscriber mode. */
  readonly subscriber: Redis;
  readonly keys: Keys;
  readonly logger: Logger;
  /** Objects (and projects' project-wide lists) kept in memory, least recently used dropped first. Default 50,000. */
  readonly maxObjects?: number;
}

const objectKey = (project: string, objectType: string, objectName: string) =>
  `${project}\u0000${objectType}\u0000${objectName}`;

/** The cache key of a project's project-wide webhooks for one object type (no object name has a NUL). */
const projectKey = (project: string, objectType: string) => `${project}\u0000${objectType}\u0000\u0000*`;

export function createMatcher(options: MatcherOptions): Matcher {
  const { source, subscriber, keys, logger } = options;
  const maxObjects = options.maxObjects ?? 50_000;
  const cache = new Map<string, Promise<Webhook[]>>();
  let trusted = false;

  const invalidate = (message: string) => {
    const notice = parseRegistryNotice(message);
    if (!notice) {
      logger.warn('unreadable registry notice: dropping the whole match cache');
      cache.clear();
      return;
    }
    for (const o of notice.objects) cache.delete(objectKey(o.project, o.object_type, o.object_name));
    for (const p of notice.projects ?? []) for (const t of OBJECT_TYPES) cache.delete(projectKey(p, t));
  };

  const onMessage = (channel: string, message: string) => {
    if (channel === keys.registryChannel()) invalidate(message);
  };
  // A notice missed while disconnected would leave stale entries: forget everything, and do not
  // cache again until the subscription is back.
  const onDisconnect = () => {
    trusted = false;
    cache.clear();
  };
  const onReady = async () => {
    try {
      await subscriber.subscribe(keys.registryChannel());
      cache.clear();
      trusted = true;
    } catch (err) {
      logger.warn({ err }, 'registry change subscription failed; matching reads Redis until it is back');
    }
  };

  /** The cached (or loading) value of `key`; `load` reads Redis on a miss. */
  const cached = (key: string, load: () => Promise<Webhook[]>): Promise<Webhook[]> => {
    const hit = cache.get(key);
    if (hit) {
      cache.delete(key);
      cache.set(key, hit);
      return hit;
    }
    const loading = load();
    if (!trusted) return loading;
    cache.set(key, loading);
    // A failed read is not cached: the next event asks Redis again.
    loading.catch(() => {
      if (cache.get(key) === loading) cache.delete(key);
    });
    if (cache.size > maxObjects) {
      const oldest = cache.keys().next();
      if (!oldest.done) cache.delete(oldest.value);
    }
    return loading;
  };

  const candidates = async (o: MatchedObject): Promise<Webhook[]> => {
    const events = eventsOf(o.object_type);
    const [scoped, projectWide] = await Promise.all([
      cached(objectKey(o.project, o.object_type, o.object_name), () =>
        source.findCandidates(o.project, o.object_type, o.object_name, events),
      ),
      cached(projectKey(o.project, o.object_type), () => source.findProjectCandidates(o.project, events)),
    ]);
    return projectWide.length === 0 ? scoped : scoped.length === 0 ? projectWide : [...scoped, ...projectWide];
  };

  return {
    async start() {
      subscriber.on('message', onMessage);
      subscriber.on('close', onDisconnect);
      subscriber.on('ready', onReady);
      if (subscriber.status === 'ready') await onReady();
    },
    async match(event, fired) {
      return selectMatches(await candidates(event), event, fired);
    },
    clear() {
      cache.clear();
    },
    async close() {
      subscriber.off('message', onMessage);
      subscriber.off('close', onDisconnect);
      subscriber.off('ready', onReady);
      trusted = false;
      cache.clear();
    },
  };
}
