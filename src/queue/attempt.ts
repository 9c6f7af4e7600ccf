/**
 * One delivery attempt, shared by the fast path (event jobs) and the deliveries queue:
 * destination rules ▸ per-destination gate ▸ payload ▸ fresh signature ▸ POST ▸ metrics and one log line.
 * Remote failures come back as values; only the processors turn them into retries or dead letters.
 */
import type { AttemptOutcome, DeliveryClient, DestinationGate } from '../delivery/index.js';
import type { RequestEvent } from '../events/index.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { createPayloadBuilder } from '../payload/index.js';
import type { WebhookEvent, WebhookHeader } from '../registry/model.js';
import { type RequestTarget, type SignatureHeaders, type Signer, requestTarget } from '../signing/index.js';

/** The header carrying the delivery id, stable across retries (receivers deduplicate on it). */
export const DELIVERY_ID_HEADER = 'hookpost-delivery-id';
const USER_AGENT = 'hookpost/0.1';

/** Where and how to deliver: a stored webhook or a webhook test's configuration. */
export interface DeliveryTarget {
  readonly url: string;
  readonly headers: readonly WebhookHeader[];
  /** Seconds. */
  readonly timeout: number;
  readonly include_result: boolean;
}

export interface AttemptRequest {
  readonly deliveryId: string;
  /** 1 for the first attempt. */
  readonly attempt: number;
  readonly webhookId: string;
  readonly webhookEvent: WebhookEvent;
  readonly event: RequestEvent;
  readonly target: DeliveryTarget;
  /** The event's payload builder when the fan-out shares one; made here when absent. */
  readonly payloads?: (webhookEvent: WebhookEvent, includeResult: boolean) => Payload;
}

export interface Payload {
  readonly body: Buffer;
  readonly resultOmitted: boolean;
}

/** The attempt ran (delivered, failed or refused) or did not start because the destination is parked. */
export type AttemptResult =
  | { readonly kind: 'attempted'; readonly outcome: AttemptOutcome }
  | { readonly kind: 'parked'; readonly reason: 'circuit_open' | 'destination_busy'; readonly retryInMs: number };

export interface AttemptDeps {
  readonly client: DeliveryClient;
  readonly gate: DestinationGate;
  readonly signer: Signer;
  readonly metrics: Metrics;
  readonly logger: Logger;
  /** How long an attempt may wait for a busy destination's slot before it is parked. Default 25 ms. */
  readonly maxSlotWaitMs?: number;
}

export interface Attempter {
  attempt(request: AttemptRequest): Promise<AttemptResult>;
  /**
   * A payload builder for one event: each (fired event, include_result) body is built once and
   * shared by every webhook of the fan-out; results left out for size are counted.
   */
  payloads(event: RequestEvent, countOmitted?: boolean): (webhookEvent: WebhookEvent, includeResult: boolean) => Payload;
}

/** What identifies an attempt on its log lines. */
interface LogIds {
  readonly deliveryId: string;
  readonly webhookId: string;
  readonly event: WebhookEvent;
  readonly attempt: number;
}

const PARK_BUSY_MS = 1_000;
const MIN_PARK_MS = 250;
const jitter = (ms: number) => Math.round(ms * (0.75 + Math.random() * 0.5));

export function createAttempter(deps: AttemptDeps): Attempter {
  const { client, gate, signer, metrics, logger } = deps;
  const maxSlotWaitMs = deps.maxSlotWaitMs ?? 25;
  // Parsing and normalising a URL costs more than signing; webhooks reuse few URLs.
  const targets = new Map<string, RequestTarget>();
  const waiters = new Map<string, Array<() => void>>();

  const targetOf = (url: string): RequestTarget => {
    let t = targets.get(url);
    if (!t) {
      t = requestTarget(url);
      if (targets.size >= 10_000) targets.clear();
      targets.set(url, t);
    }
    return t;
  };

  /** A slot of a busy destination, waiting up to maxSlotWaitMs (the first try is made by the caller). */
  const waitForSlot = async (origin: string): Promise<'ok' | 'busy' | 'open'> => {
    const deadline = Date.now() + maxSlotWaitMs;
    for (;;) {
      const left = deadline - Date.now();
      if (left <= 0) return 'busy';
      await new Promise<void>((resolve) => {
        const queue = waiters.get(origin) ?? [];
        waiters.set(origin, queue);
        const wake = () => {
          clearTimeout(timer);
          resolve();
        };
        const timer = setTimeout(() => {
          const i = queue.indexOf(wake);
          if (i >= 0) queue.splice(i, 1);
          resolve();
        }, left);
        queue.push(wake);
      });
      const state = gate.tryAcquire(origin);
      if (state !== 'busy') return state;
    }
  };

  const release = (origin: string, success: boolean) => {
    gate.release(origin, success);
    const queue = waiters.get(origin);
    const next = queue?.shift();
    if (queue && queue.length === 0) waiters.delete(origin);
    next?.();
  };

  /** `countOmitted`: count a result left out for size (once per delivery: not again on retries). */
  const payloads = (event: RequestEvent, countOmitted = true) => {
    const build = createPayloadBuilder(event);
    const built = new Map<string, Payload>();
    return (webhookEvent: WebhookEvent, includeResult: boolean): Payload => {
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

  const refused = (message: string): AttemptOutcome => ({
    kind: 'refused',
    errorCode: 'REFUSED_DESTINATION',
    message,
    durationMs: 0,
  });

  /** The parsed target, or why the URL cannot be called (the client checks the destination rules). */
  const resolve = (url: string): RequestTarget | AttemptOutcome => {
    try {
      return targetOf(url);
    } catch {
      return refused('Destination not allowed: the URL cannot be parsed');
    }
  };

  const send = async (request: AttemptRequest, target: RequestTarget, ids: LogIds): Promise<AttemptOutcome> => {
    const { target: webhook } = request;
    const { body } = (request.payloads ?? payloads(request.event, request.attempt === 1))(
      request.webhookEvent,
      webhook.include_result,
    );
    let signature: SignatureHeaders;
    try {
      // Signed per attempt: `created` is now, so retries hours later still verify (24 h window).
      // Synchronous on purpose: the thread-pool form costs more CPU in all (measured 59 vs 44 µs),
      // and on a small machine the other core belongs to Redis and the receivers.
      signature = signer.sign('POST', target, body);
    } catch (err) {
      metrics.signingFailures.inc();
      logger.error({ ...ids, err }, 'signing failed');
      return { kind: 'failed', errorCode: 'SIGNING_FAILED', message: 'Could not sign the request', durationMs: 0 };
    }
    const headers: Record<string, string> = {};
    for (const h of webhook.headers) headers[h.key.toLowerCase()] = h.value;
    headers['user-agent'] = USER_AGENT;
    headers['content-type'] = 'application/json';
    headers[DELIVERY_ID_HEADER] = request.deliveryId;
    Object.assign(headers, signature);
    return client.deliverOnce({ origin: target.origin, path: target.path, headers, body, timeoutMs: webhook.timeout * 1000 });
  };

  const record = (ids: LogIds, outcome: AttemptOutcome): AttemptResult => {
    if (outcome.kind !== 'refused') {
      const label = outcome.kind === 'delivered' ? 'success' : 'failure';
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
    return { kind: 'attempted', outcome };
  };

  return {
    payloads,
    async attempt(request) {
      // One object per attempt instead of a child logger: cheaper on the hot path.
      const ids = {
        deliveryId: request.deliveryId,
        webhookId: request.webhookId,
        event: request.webhookEvent,
        attempt: request.attempt,
      };
      const target = resolve(request.target.url);
      if ('kind' in target) return record(ids, target);
      // The common case takes a slot at once, without a promise.
      let slot = gate.tryAcquire(target.origin);
      if (slot === 'busy') slot = await waitForSlot(target.origin);
      if (slot !== 'ok') {
        const reason = slot === 'open' ? 'circuit_open' : 'destination_busy';
        metrics.deliveriesParked.inc({ reason });
        logger.info({ ...ids, reason }, 'delivery parked');
        // An open circuit says when it lets a probe through; a busy destination frees up soon.
        const waitMs = slot === 'open' ? Math.max(gate.openRemainingMs(target.origin), MIN_PARK_MS) : PARK_BUSY_MS;
        return { kind: 'parked', reason, retryInMs: jitter(waitMs) };
      }
      let outcome: AttemptOutcome | undefined;
      try {
        outcome = await send(request, target, ids);
      } finally {
        release(target.origin, outcome !== undefined && outcome.kind !== 'failed');
      }
      return record(ids, outcome);
    },
  };
}
