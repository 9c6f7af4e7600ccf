/**
 * Reads the attempt log for the API: deliveries newest first (by last activity) with filters and
 * cursor pagination, one delivery's attempts, its kept event, and a webhook's health.
 */
import { type DeliveryOutcome, readAttemptCode } from '../outcomes.js';
import type { Keys, RedisClient as Redis } from '../redis/index.js';
import type { WebhookEvent } from '../registry/model.js';
import { parseKeptEvent } from './kept-event.js';
import {
  type AttemptRecord,
  type DeliveryDetail,
  type DeliverySummary,
  type DerivedCircuitState,
  FAILING_AFTER,
  type KeptEvent,
  type WebhookHealth,
} from './model.js';
import { defineScript, runScript } from './scripts.js';

export interface DeliveryQuery {
  /** Only this webhook's deliveries (its capped index is read, not the project's). */
  readonly webhookId?: string;
  readonly event?: WebhookEvent;
  /** The latest attempt's outcome. */
  readonly outcome?: DeliveryOutcome;
  readonly requestId?: string;
  /** Only deliveries active at or after this time (ms since the epoch). */
  readonly since?: number;
  /** Items per page, 1-500. */
  readonly limit: number;
  /** From a previous page's `nextCursor`. */
  readonly cursor?: string;
}

export interface DeliveryPage {
  readonly items: readonly DeliverySummary[];
  /** Pass back for the next (older) page; null when there is none. */
  readonly nextCursor: string | null;
}

export interface AttemptLogReader {
  list(project: string, query: DeliveryQuery): Promise<DeliveryPage>;
  get(project: string, deliveryId: string): Promise<DeliveryDetail | null>;
  /** The producer event kept with the delivery, or null when it is not (or no longer) kept. */
  event(project: string, deliveryId: string): Promise<KeptEvent | null>;
  health(project: string, webhookId: string): Promise<WebhookHealth>;
}

/** Deliveries examined per list call at most: a filter matching rarely returns a short page and a cursor. */
const MAX_EXAMINED = 5_000;

/** KEYS: delivery hashes. Returns, per key, its latest attempt's JSON and its count, or false, false. */
const LATEST_SCRIPT = defineScript(`
local out = {}
for i, key in ipairs(KEYS) do
  local n = redis.call('HGET', key, 'n')
  local latest = false
  if n then latest = redis.call('HGET', key, 'a' .. n) end
  out[#out + 1] = latest
  out[#out + 1] = n
end
return out
`);

interface Cursor {
  readonly score: number;
  readonly id: string;
}

const encodeCursor = (c: Cursor) => Buffer.from(`${c.score}:${c.id}`, 'utf8').toString('base64url');

/** The cursor, or undefined when it is not one of ours. */
export function decodeCursor(raw: string): Cursor | undefined {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const colon = text.indexOf(':');
  const score = Number(text.slice(0, colon));
  const id = text.slice(colon + 1);
  if (colon < 1 || !Number.isSafeInteger(score) || !/^[0-9a-f-]{1,64}$/.test(id)) return undefined;
  return { score, id };
}

/** A stored attempt; its code in today's spelling (readAttemptCode). */
function toRecord(project: string, deliveryId: string, json: string): AttemptRecord {
  const stored = JSON.parse(json) as Omit<AttemptRecord, 'deliveryId' | 'project' | 'errorCode'> & { errorCode?: string };
  const { errorCode, ...rest } = stored;
  return { deliveryId, project, ...rest, ...(errorCode === undefined ? {} : { errorCode: readAttemptCode(errorCode) }) };
}

function deriveCircuit(recent: string): DerivedCircuitState {
  if (recent.length === 0) return 'unknown';
  if (recent[0] === 'o') return 'open';
  const last = recent.slice(0, FAILING_AFTER);
  return last.length === FAILING_AFTER && /^[fo]+$/.test(last) ? 'failing' : 'closed';
}

export function createAttemptLogReader({ redis, keys }: { readonly redis: Redis; readonly keys: Keys }): AttemptLogReader {
  const matches = (s: DeliverySummary, q: DeliveryQuery) =>
    (q.event === undefined || s.latest.event === q.event) &&
    (q.outcome === undefined || s.latest.outcome === q.outcome) &&
    (q.requestId === undefined || s.latest.requestId === q.requestId);

  return {
    async list(project, query) {
      const index = query.webhookId === undefined ? keys.attemptDeliveries(project) : keys.attemptWebhookIndex(project, query.webhookId);
      const min = query.since === undefined ? '-inf' : String(query.since);
      const items: DeliverySummary[] = [];
      let after: Cursor | undefined = query.cursor === undefined ? undefined : decodeCursor(query.cursor);
      let examined = 0;
      const batchSize = Math.min(Math.max(query.limit * 2, 100), 1_000);
      for (;;) {
        // Equal scores come in reverse id order: skip those at the cursor's score already returned.
        const raw = await redis.zrevrangebyscore(index, after === undefined ? '+inf' : String(after.score), min, 'WITHSCORES', 'LIMIT', 0, batchSize);
        const page: Cursor[] = [];
        for (let i = 0; i + 1 < raw.length; i += 2) {
          const id = raw[i] as string;
          const score = Number(raw[i + 1]);
          if (after !== undefined && score === after.score && id >= after.id) continue;
          page.push({ score, id });
        }
        if (page.length === 0) return { items, nextCursor: null };
        const latest = (await runScript(
          redis,
          LATEST_SCRIPT,
          page.map((c) => keys.attemptDelivery(project, c.id)),
          [],
        )) as Array<string | false | null>;
        const gone: string[] = [];
        for (let i = 0; i < page.length; i++) {
          const cursor = page[i] as Cursor;
          after = cursor;
          examined += 1;
          const json = latest[i * 2];
          if (!json) {
            gone.push(cursor.id);
            continue;
          }
          const summary: DeliverySummary = {
            latest: toRecord(project, cursor.id, json),
            attemptCount: Number(latest[i * 2 + 1]),
            activityAt: cursor.score,
          };
          if (!matches(summary, query)) continue;
          items.push(summary);
          if (items.length === query.limit) {
            if (gone.length > 0) await redis.zrem(index, ...gone);
            return { items, nextCursor: encodeCursor(cursor) };
          }
        }
        // Expired or evicted deliveries leave their ids behind until a reader meets them.
        if (gone.length > 0) await redis.zrem(index, ...gone);
        if (raw.length < batchSize * 2) return { items, nextCursor: null };
        if (examined >= MAX_EXAMINED) return { items, nextCursor: encodeCursor(after as Cursor) };
      }
    },

    async get(project, deliveryId) {
      const key = keys.attemptDelivery(project, deliveryId);
      const [fields, score] = await Promise.all([redis.hgetall(key), redis.zscore(keys.attemptDeliveries(project), deliveryId)]);
      const count = Number(fields['n'] ?? 0);
      if (count === 0) return null;
      const attempts: AttemptRecord[] = [];
      for (let k = 1; k <= count; k++) {
        const json = fields[`a${k}`];
        if (json !== undefined) attempts.push(toRecord(project, deliveryId, json));
      }
      const latest = attempts.at(-1);
      if (!latest) return null;
      return {
        latest,
        attemptCount: count,
        activityAt: score === null ? latest.startedAt + Math.round(latest.durationMs) : Number(score),
        attempts,
        eventKept: fields['e'] !== undefined,
      };
    },

    async event(project, deliveryId) {
      const raw = await redis.hget(keys.attemptDelivery(project, deliveryId), 'e');
      return raw === null ? null : parseKeptEvent(raw);
    },

    async health(project, webhookId) {
      const h = await redis.hgetall(keys.attemptWebhookHealth(project, webhookId));
      const recent = h['r'] ?? '';
      let successes = 0;
      let failures = 0;
      for (const c of recent) {
        if (c === 's') successes++;
        else if (c === 'f') failures++;
      }
      return {
        lastSuccessAt: h['ok'] === undefined ? null : Number(h['ok']),
        lastFailureAt: h['fail'] === undefined ? null : Number(h['fail']),
        lastFailureMessage: h['fm'] === undefined || h['fm'] === '' ? null : h['fm'],
        recentAttempts: successes + failures,
        recentSuccesses: successes,
        circuit: deriveCircuit(recent),
      };
    },
  };
}
