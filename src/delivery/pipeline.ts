/**
 * The attempt pipeline, shared by the fast path (event jobs) and the deliveries queue:
 * target ▸ destination gate ▸ payload ▸ fresh signature ▸ POST ▸ outcome, with metrics and one log
 * line per attempt. Remote failures come back as values; the queue processors only settle them.
 *
 * Isolation: an attempt holds its caller (a job slot) for at most `inlineBudgetMs`, and not at all
 * when its destination is known to be slow. Past that it is *detached*: it goes on in the background
 * (bounded by `maxDetached`) and the caller gets a promise of its outcome, so a hung receiver costs a
 * socket and some memory while it waits, never a worker slot that healthy deliveries need.
 */
import type { RequestEvent } from '../events/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { ATTEMPT_CODES, AttemptCode, type AttemptResultLabel } from '../outcomes.js';
import { createPayloadBuilder } from '../payload/index.js';
import type { WebhookEvent, WebhookHeader } from '../registry/model.js';
import { jitter } from '../retry/index.js';
import { type RequestTarget, type StoredWebhookSecrets, requestTarget } from '../signing/index.js';
import type { AttemptOutcome, DeliveryClient } from './client.js';
import type { DestinationGate } from './destination-gate.js';
import { DELIVERY_ID_HEADER, OWNED_HEADERS } from './owned-headers.js';
import { redact, redactionNeedles } from './redact.js';
import type { SignatureScheme, SignedAttempt } from './signature-schemes.js';

export { DELIVERY_ID_HEADER } from './owned-headers.js';
const USER_AGENT = 'hookpost/0.1';

/** Where and how to deliver: a stored webhook or a webhook test's configuration. */
export interface DeliveryTarget {
  readonly url: string;
  readonly headers: readonly WebhookHeader[];
  /** Seconds. */
  readonly timeout: number;
  readonly include_result: boolean;
  /** The webhook's Standard Webhooks secret(s), if it has one (never logged). */
  readonly secret?: StoredWebhookSecrets | null;
  /**
   * Set when this process could not decrypt the target's protected header values or secret (the
   * reason, e.g. a key its key file lacks): the target is then never sent (`SECRET_UNREADABLE`).
   */
  readonly secretsUnreadable?: string;
}

export interface Payload {
  readonly body: Buffer;
  readonly resultOmitted: boolean;
}

/** The payloads of one event, each (fired event, include_result) body built once. */
export type PayloadSource = (webhookEvent: WebhookEvent, includeResult: boolean) => Payload;

export interface AttemptRequest {
  readonly deliveryId: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly webhookId: string;
  readonly webhookEvent: WebhookEvent;
  readonly event: RequestEvent;
  readonly target: DeliveryTarget;
  /** The event's payloads when the fan-out shares them; made here when absent. */
  readonly payloads?: PayloadSource;
}

/**
 * How the pipeline answered:
 * - `attempted`: the attempt ended (delivered, failed, refused, or not sent because the destination's
 *   circuit is open);
 * - `parked`: not started, try again after `retryInMs` (the destination is at its cap, or too many
 *   attempts are waiting already);
 * - `detached`: started and still waiting; `settled` resolves with its outcome (never rejects) within
 *   `remainingMs`.
 */
export type AttemptResult =
  | { readonly kind: 'attempted'; readonly outcome: AttemptOutcome }
  | { readonly kind: 'parked'; readonly reason: ParkReason; readonly retryInMs: number }
  | { readonly kind: 'detached'; readonly settled: Promise<AttemptOutcome>; readonly remainingMs: number };

export type ParkReason = 'destination_busy' | 'waiting_full';

/** Attempts in flight, for gauges. */
export interface InFlightStats {
  /** Holding the caller's job slot. */
  readonly inline: number;
  /** Detached: waiting on a slow receiver without a job slot. */
  readonly detached: number;
  /** Age of the oldest detached attempt in seconds; 0 when none. */
  readonly oldestDetachedSeconds: number;
}

export interface PipelineOptions {
  readonly client: DeliveryClient;
  readonly gate: DestinationGate;
  /** How every attempt is signed, in order (signature-schemes.ts: `defaultSignatureSchemes(signer)`). */
  readonly schemes: readonly SignatureScheme[];
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** Longest an attempt holds its caller before it is detached, in milliseconds. Default 500. */
  readonly inlineBudgetMs?: number;
  /** Detached attempts at most; beyond, slow destinations' deliveries wait in Redis. Default 2,000. */
  readonly maxDetached?: number;
  /** How long an attempt may wait for a busy destination's slot before it is parked, in ms. Default 25. */
  readonly maxSlotWaitMs?: number;
}

export interface DeliveryPipeline {
  attempt(request: AttemptRequest): Promise<AttemptResult>;
  /**
   * The payloads of one event, shared by every webhook of its fan-out. `countOmitted`: count a
   * result left out for size (once per delivery, so not again on retries).
   */
  payloads(event: RequestEvent, countOmitted?: boolean): PayloadSource;
  /** True while an attempt of this delivery is detached in this process. */
  isDetached(deliveryId: string): boolean;
  inFlight(): InFlightStats;
  /** Waits until no attempt is detached, or `timeoutMs` passed. */
  drain(timeoutMs: number): Promise<void>;
  /**
   * For shutdown: attempts that end from now on are not judged (their connections are about to be
   * closed by us); they settle as `ABANDONED`, which callers leave to the delivery's placeholder.
   */
  abandon(): void;
}

/** The error code of an attempt cut short by our own shutdown (see {@link DeliveryPipeline.abandon}). */
export const ABANDONED = AttemptCode.ABANDONED;

/**
 * The outcome with the webhook's protected header values and secrets (current and previous) taken
 * out of the response excerpt: a receiver echoing its request must not put them in the attempt log.
 */
function withoutSecrets(outcome: AttemptOutcome, webhook: DeliveryTarget): AttemptOutcome {
  const values = webhook.headers.filter((h) => h.protected).map((h) => h.value);
  if (webhook.secret) {
    values.push(webhook.secret.current);
    if (webhook.secret.previous) values.push(webhook.secret.previous);
  }
  if (values.length === 0 || outcome.responseExcerpt === undefined) return outcome;
  return { ...outcome, responseExcerpt: redact(outcome.responseExcerpt, redactionNeedles(values)) };
}

/** What identifies an attempt on its log lines. */
interface LogIds {
  readonly deliveryId: string;
  readonly webhookId: string;
  readonly event: WebhookEvent;
  readonly attempt: number;
}

const PARK_BUSY_MS = 1_000;
const PARK_WAITING_FULL_MS = 5_000;
const MAX_REMEMBERED_TARGETS = 10_000;

export function createDeliveryPipeline(options: PipelineOptions): DeliveryPipeline {
  const { client, gate, schemes, metrics, logger } = options;
  const inlineBudgetMs = options.inlineBudgetMs ?? 500;
  const maxDetached = options.maxDetached ?? 2_000;
  const maxSlotWaitMs = options.maxSlotWaitMs ?? 25;
  // Parsing and normalising a URL costs more than signing; webhooks reuse few URLs.
  const targets = new Map<string, RequestTarget>();
  /** Detached attempts: delivery id → start time (ms). */
  const detached = new Map<string, number>();
  // A webhook's headers never set what hookpost or a signature scheme sets.
  const owned = new Set([...OWNED_HEADERS, ...schemes.flatMap((s) => s.ownedHeaders)]);
  let inline = 0;
  let abandoned = false;
  let drained: (() => void) | undefined;

  const targetOf = (url: string): RequestTarget | undefined => {
    let t = targets.get(url);
    if (!t) {
      try {
        t = requestTarget(url);
      } catch {
        return undefined;
      }
      if (targets.size >= MAX_REMEMBERED_TARGETS) targets.clear();
      targets.set(url, t);
    }
    return t;
  };

  const payloads = (event: RequestEvent, countOmitted = true): PayloadSource => {
    const build = createPayloadBuilder(event);
    const built = new Map<string, Payload>();
    return (webhookEvent, includeResult) => {
      const key = includeResult ? `${webhookEvent}+result` : webhookEvent;
      let p = built.get(key);
      if (!p) {
        p = build(webhookEvent, includeResult);
        if (p.resultOmitted && countOmitted) metrics.resultsOmitted.inc();
        built.set(key, p);
      }
      return p;
    };
  };

  const secretsUnreadable = (reason: string): AttemptOutcome => ({
    kind: 'failed',
    errorCode: AttemptCode.SECRET_UNREADABLE,
    message: `Not sent: the webhook's protected header values or secret cannot be decrypted by this worker (${reason}); re-drive once its HOOKPOST_ENCRYPTION_KEY_FILE has the key`,
    durationMs: 0,
  });

  const notSent = (errorCode: typeof AttemptCode.DESTINATION_REFUSED | typeof AttemptCode.CIRCUIT_OPEN, message: string): AttemptOutcome => ({
    kind: errorCode === AttemptCode.DESTINATION_REFUSED ? 'refused' : 'failed',
    errorCode,
    message,
    durationMs: 0,
  });

  const send = async (request: AttemptRequest, target: RequestTarget, ids: LogIds): Promise<AttemptOutcome> => {
    const { target: webhook } = request;
    const { body } = (request.payloads ?? payloads(request.event, request.attempt === 1))(
      request.webhookEvent,
      webhook.include_result,
    );
    // Signed per attempt: `created` is now, so retries hours later still verify (24 h window). The
    // delivery id and the project are signed too: a replay cannot change the id receivers de-duplicate
    // on, nor pass one project's delivery off as another's (one key signs for every project).
    const attempt: SignedAttempt = {
      deliveryId: request.deliveryId,
      project: request.event.project,
      target,
      body,
      createdSeconds: Math.floor(Date.now() / 1000),
      secret: webhook.secret,
    };
    const signatures: Readonly<Record<string, string>>[] = [];
    try {
      for (const scheme of schemes) signatures.push(scheme.headersFor(attempt));
    } catch (err) {
      metrics.signingFailures.inc();
      logger.error({ ...ids, err }, 'signing failed');
      return { kind: 'failed', errorCode: AttemptCode.SIGNING_FAILED, message: ATTEMPT_CODES.SIGNING_FAILED.message, durationMs: 0 };
    }
    // No prototype: a stored header named `__proto__` is an ordinary key here, not a setter. Headers
    // hookpost owns are never taken from the webhook (the API refuses them; older records may have them).
    const headers: Record<string, string> = Object.create(null);
    for (const h of webhook.headers) if (!owned.has(h.key.toLowerCase())) headers[h.key.toLowerCase()] = h.value;
    headers['user-agent'] = USER_AGENT;
    headers['content-type'] = 'application/json';
    headers[DELIVERY_ID_HEADER] = request.deliveryId;
    for (const signature of signatures) Object.assign(headers, signature);
    const outcome = await client.deliverOnce({ origin: target.origin, path: target.path, headers, body, timeoutMs: webhook.timeout * 1000 });
    return outcome.responseExcerpt === undefined ? outcome : withoutSecrets(outcome, webhook);
  };

  /** {@link send}, and never a rejection: a bug on our side is a failed attempt, logged with its stack. */
  const sendSafely = (request: AttemptRequest, target: RequestTarget, ids: LogIds): Promise<AttemptOutcome> =>
    send(request, target, ids).catch((err: unknown) => {
      logger.error({ ...ids, err }, 'attempt failed inside hookpost');
      return { kind: 'failed', errorCode: AttemptCode.INTERNAL, message: ATTEMPT_CODES.INTERNAL.message, durationMs: 0 };
    });

  const record = (ids: LogIds, outcome: AttemptOutcome): AttemptOutcome => {
    // Timed unless the guard, the circuit or an unreadable secret stopped it (a failure on our side
    // while sending is timed).
    if (outcome.kind !== 'refused' && outcome.errorCode !== AttemptCode.CIRCUIT_OPEN && outcome.errorCode !== AttemptCode.SECRET_UNREADABLE) {
      const label: AttemptResultLabel = outcome.kind === 'delivered' ? 'success' : 'failure';
      metrics.attemptDuration.observe({ outcome: label }, outcome.durationMs / 1000);
    }
    logger.info(
      {
        ...ids,
        outcome: outcome.kind,
        status: outcome.status,
        errorCode: outcome.kind === 'delivered' ? undefined : outcome.errorCode,
        durationMs: Math.round(outcome.durationMs),
      },
      'delivery attempted',
    );
    return outcome;
  };

  const park = (ids: LogIds, reason: ParkReason): AttemptResult => {
    metrics.deliveriesParked.inc({ reason });
    logger.info({ ...ids, reason }, 'delivery parked');
    return { kind: 'parked', reason, retryInMs: jitter(reason === 'destination_busy' ? PARK_BUSY_MS : PARK_WAITING_FULL_MS) };
  };

  const detach = (ids: LogIds, settled: Promise<AttemptOutcome>, deadlineAt: number): AttemptResult => {
    detached.set(ids.deliveryId, Date.now());
    metrics.deliveriesParked.inc({ reason: 'detached' });
    void settled.then(() => {
      detached.delete(ids.deliveryId);
      if (detached.size === 0) drained?.();
    });
    return { kind: 'detached', settled, remainingMs: Math.max(0, deadlineAt - Date.now()) };
  };

  return {
    payloads,

    async attempt(request) {
      // One object per attempt instead of a child logger: cheaper on the hot path.
      const ids: LogIds = {
        deliveryId: request.deliveryId,
        webhookId: request.webhookId,
        event: request.webhookEvent,
        attempt: request.attempt,
      };
      // Without its protected header values or secret the request would go out incomplete: not sent,
      // and neither the destination's circuit nor its slot is touched. Only this delivery fails.
      if (request.target.secretsUnreadable !== undefined) {
        logger.warn({ ...ids, reason: request.target.secretsUnreadable }, 'not sent: the webhook\'s secrets cannot be decrypted');
        return { kind: 'attempted', outcome: record(ids, secretsUnreadable(request.target.secretsUnreadable)) };
      }
      const target = targetOf(request.target.url);
      if (!target) {
        return { kind: 'attempted', outcome: record(ids, notSent(AttemptCode.DESTINATION_REFUSED, 'Destination not allowed: the URL cannot be parsed')) };
      }
      const { origin } = target;
      const slot = await gate.acquire(origin, maxSlotWaitMs);
      if (slot === 'busy') return park(ids, 'destination_busy');
      if (slot === 'open') {
        const probeInS = Math.ceil(gate.openRemainingMs(origin) / 1000);
        const message = `Not sent: the destination is failing (circuit open, next probe in ${probeInS} s)`;
        return { kind: 'attempted', outcome: record(ids, notSent(AttemptCode.CIRCUIT_OPEN, message)) };
      }
      const budgetMs = gate.isSlow(origin) ? 0 : inlineBudgetMs;
      if (budgetMs === 0 && detached.size >= maxDetached) {
        gate.cancel(origin);
        return park(ids, 'waiting_full');
      }

      const deadlineAt = Date.now() + request.target.timeout * 1000;
      let holding = budgetMs > 0;
      if (holding) inline += 1;
      const settled = sendSafely(request, target, ids).then((outcome): AttemptOutcome => {
        if (holding) inline -= 1;
        holding = false;
        if (abandoned) return { kind: 'failed', errorCode: ABANDONED, message: ATTEMPT_CODES.ABANDONED.message, durationMs: outcome.durationMs };
        gate.release(origin, {
          responded: outcome.status !== undefined,
          // A refusal is ours, not the receiver's: it says nothing against the destination.
          success: outcome.kind !== 'failed',
          durationMs: outcome.durationMs,
        });
        return record(ids, outcome);
      });
      if (budgetMs === 0) return detach(ids, settled, deadlineAt);
      return new Promise<AttemptResult>((resolve) => {
        const timer = setTimeout(() => {
          // Past the budget: free the caller unless too many attempts wait already (then it keeps
          // waiting here, which bounds memory at the cost of the slot).
          if (!holding || detached.size >= maxDetached) return;
          inline -= 1;
          holding = false;
          resolve(detach(ids, settled, deadlineAt));
        }, budgetMs);
        void settled.then((outcome) => {
          clearTimeout(timer);
          resolve({ kind: 'attempted', outcome });
        });
      });
    },

    isDetached(deliveryId) {
      return detached.has(deliveryId);
    },

    inFlight() {
      let oldest = Number.POSITIVE_INFINITY;
      for (const startedAt of detached.values()) oldest = Math.min(oldest, startedAt);
      return {
        inline,
        detached: detached.size,
        oldestDetachedSeconds: detached.size === 0 ? 0 : Math.max(0, (Date.now() - oldest) / 1000),
      };
    },

    abandon() {
      abandoned = true;
    },

    async drain(timeoutMs) {
      if (detached.size === 0) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        drained = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    },
  };
}
