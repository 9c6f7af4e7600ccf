/**
 * In-memory cache of the match index: candidates per (project, object_type, object_name), filled
 * from the registry on first use and dropped when the registry's change notice names the object.
 * No Redis work per event once an object is cached, and the cost does not depend on how many
 * webhooks other objects have (objects never asked for are never loaded).
 */
import type { RedisClient as Redis } from '../redis/index.js';
import type { Logger } from '../observability/logger.js';
import type { Keys } from '../registry/keys.js';
import { type ObjectType, type Webhook, type WebhookEvent, eventsOf } from '../registry/model.js';
import { parseRegistryNotice } from '../registry/index.js';
import { type Match, type MatchableEvent, selectMatches } from './select.js';

export interface CandidateSource {
  findCandidates(
    project: string,
    objectType: ObjectType,
    objectName: string,
    events: readonly string[],
  ): Promise<Webhook[]>;
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
  /** Objects kept in memory (least recently used dropped first). Default 50,000. */
  readonly maxObjects?: number;
}

const objectKey = (project: string, objectType: string, objectName: string) =>
  `${project}\u0000${objectType}\u0000${objectName}`;

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

  const candidates = (o: MatchedObject): Promise<Webhook[]> => {
    const key = objectKey(o.project, o.object_type, o.object_name);
    const cached = cache.get(key);
    if (cached) {
      cache.delete(key);
      cache.set(key, cached);
      return cached;
    }
    const loading = source.findCandidates(o.project, o.object_type, o.object_name, eventsOf(o.object_type));
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
