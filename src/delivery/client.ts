/**
 * The hardened egress client: one undici Agent with keep-alive pools per origin, the destination
 * guard on every new connection, one deadline over the whole attempt, a capped response read (the
 * attempt's dispatch handler, response-handler.ts), and never a thrown remote failure: every
 * attempt ends in an {@link AttemptOutcome}.
 */
import { performance } from 'node:perf_hooks';
import { Agent } from 'undici';
import { ErrorCode } from '../errors.js';
import { ATTEMPT_CODES, AttemptCode, type AttemptKind, httpAttemptCode } from '../outcomes.js';
import { checkUrl, createGuardedLookup } from './destination-guard.js';
import { CLIENT_OWNED_HEADERS } from './owned-headers.js';
import { ResponseHandler } from './response-handler.js';

/** How one attempt ended. `refused` is final (the destination is not allowed); `failed` may be retried. */
export interface AttemptOutcome {
  readonly kind: AttemptKind;
  /** HTTP status, when the receiver answered. */
  readonly status?: number;
  /**
   * Stable code (src/outcomes.ts): `HTTP_<status>` whenever a response arrived (also on success),
   * else why not (`TIMEOUT`, `ECONNREFUSED`, `DESTINATION_REFUSED`, ..., `NETWORK` for any other
   * system error, whose code the message then names).
   */
  readonly errorCode: AttemptCode;
  /** For people: "Connection refused", "Timed out after 10 s", "Received HTTP 500", ... */
  readonly message: string;
  /** Wall time of the attempt, in milliseconds. */
  readonly durationMs: number;
  /** From `Retry-After` on a 429 or 503 (seconds or HTTP-date), in milliseconds from now. */
  readonly retryAfterMs?: number;
  /** The first 1 KiB of the response body, when it is text (a textual Content-Type, or valid UTF-8). */
  readonly responseExcerpt?: string;
}

export interface DeliveryRequest {
  /** `https://host[:port]` (scheme, host and port only). */
  readonly origin: string;
  /** Path and query, starting with `/`. */
  readonly path: string;
  /** Sent as given, except framing/hop-by-hop headers (host, content-length, transfer-encoding, connection, keep-alive, upgrade, expect, te), which the client owns. */
  readonly headers: Readonly<Record<string, string>>;
  /** The exact bytes to POST; sent with Content-Length, never chunked. */
  readonly body: Buffer;
  /** Deadline of the whole attempt (connect, response headers, reading the body), in milliseconds. */
  readonly timeoutMs: number;
}

export interface DeliveryClientOptions {
  /** Allow `http://` origins (HOOKPOST_ALLOW_HTTP). */
  readonly allowHttp: boolean;
  /** Allow loopback/private/link-local destinations (HOOKPOST_ALLOW_PRIVATE_TARGETS). */
  readonly allowPrivateTargets: boolean;
  /** Keep-alive connections per origin. Default 64. */
  readonly connectionsPerOrigin?: number;
  /** Response bytes read before the rest is discarded (and the connection dropped). Default 64 KiB. */
  readonly maxResponseBytes?: number;
}

export interface DeliveryClient {
  /** POSTs once. Never rejects for remote failures: the outcome says what happened. */
  deliverOnce(req: DeliveryRequest): Promise<AttemptOutcome>;
  /**
   * Closes every pooled connection: waits for in-flight requests, or with `force` ends them at once
   * (their attempts fail with `SOCKET_CLOSED`).
   */
  close(options?: { force?: boolean }): Promise<void>;
}

/** Headers the client controls: framing and hop-by-hop headers from callers could desync the connection. */
const OWNED_HEADERS: ReadonlySet<string> = new Set(CLIENT_OWNED_HEADERS);

/** Origins checked by checkUrl, remembered (bounded) so the hot path does not re-parse URLs. */
const MAX_REMEMBERED_ORIGINS = 10_000;

/** Longest attempt the product allows (a webhook timeout is at most 30 s), plus slack. */
const BACKSTOP_TIMEOUT_MS = 60_000;

const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NODATA', 'EAI_NONAME', 'EAI_FAIL']);
const CLOSED_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);
const TIMEOUT_CODES = new Set(['ETIMEDOUT', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/** Creates the delivery client. One per process: its pools are shared by every delivery. */
export function createDeliveryClient(options: DeliveryClientOptions): DeliveryClient {
  const policy = { allowHttp: options.allowHttp, allowPrivateTargets: options.allowPrivateTargets };
  const maxResponseBytes = options.maxResponseBytes ?? 65_536;
  const agent = new Agent({
    connections: options.connectionsPerOrigin ?? 64,
    pipelining: 1,
    headersTimeout: BACKSTOP_TIMEOUT_MS,
    bodyTimeout: BACKSTOP_TIMEOUT_MS,
    connect: { lookup: createGuardedLookup(policy), timeout: BACKSTOP_TIMEOUT_MS },
  });
  const originVerdicts = new Map<string, string | null>();

  const checkOrigin = (origin: string): string | null => {
    const known = originVerdicts.get(origin);
    if (known !== undefined) return known;
    const verdict = checkUrl(origin, policy);
    if (originVerdicts.size >= MAX_REMEMBERED_ORIGINS) originVerdicts.clear();
    originVerdicts.set(origin, verdict);
    return verdict;
  };

  return {
    async deliverOnce(req) {
      const startedAt = performance.now();
      const elapsed = () => Math.round((performance.now() - startedAt) * 10) / 10;
      const refusal = checkOrigin(req.origin);
      if (refusal !== null) {
        const message = refusal.startsWith('Destination not allowed') ? refusal : `Destination not allowed: ${refusal}`;
        return { kind: 'refused', errorCode: AttemptCode.DESTINATION_REFUSED, message, durationMs: elapsed() };
      }

      const headers: Record<string, string> = {};
      for (const name in req.headers) {
        if (!OWNED_HEADERS.has(name.toLowerCase())) headers[name] = req.headers[name] as string;
      }

      return new Promise<AttemptOutcome>((resolve) => {
        let timedOut = false;
        let settled = false;
        const answered = (status: number): AttemptOutcome => {
          const text = handler.excerpt();
          return {
            kind: status >= 200 && status < 400 ? 'delivered' : 'failed',
            status,
            errorCode: httpAttemptCode(status),
            message: `Received HTTP ${status}`,
            durationMs: elapsed(),
            ...(handler.retryAfterMs === undefined ? {} : { retryAfterMs: handler.retryAfterMs }),
            ...(text === undefined ? {} : { responseExcerpt: text }),
          };
        };
        const finish = (outcome: AttemptOutcome) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(outcome);
        };
        // Once the status is in, the receiver has answered: a body cut short changes nothing.
        const handler = new ResponseHandler({
          maxResponseBytes,
          onEnd: (err) => {
            if (handler.status !== undefined) finish(answered(handler.status));
            else finish(classifyError(err ?? new Error('no final response'), timedOut, req, elapsed()));
          },
        });
        const timer = setTimeout(() => {
          timedOut = true;
          const deadline = new Error('attempt deadline passed');
          if (handler.status !== undefined) finish(answered(handler.status));
          else finish(classifyError(deadline, true, req, elapsed()));
          handler.abort(deadline);
        }, req.timeoutMs);
        try {
          agent.dispatch({ origin: req.origin, path: req.path, method: 'POST', headers, body: req.body }, handler);
        } catch (err) {
          finish(classifyError(err, timedOut, req, elapsed()));
        }
      });
    },
    async close(options) {
      await (options?.force ? agent.destroy() : agent.close());
    },
  };
}

function formatTimeout(timeoutMs: number): string {
  return timeoutMs < 1_000 || timeoutMs % 1_000 !== 0 ? `${timeoutMs} ms` : `${timeoutMs / 1_000} s`;
}

function hostOf(origin: string): string {
  try {
    return new URL(origin).hostname;
  } catch {
    return origin;
  }
}

function classifyError(err: unknown, timedOut: boolean, req: DeliveryRequest, durationMs: number): AttemptOutcome {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  const detail = err instanceof Error ? err.message : String(err);
  const failed = (errorCode: AttemptCode, message: string): AttemptOutcome => ({ kind: 'failed', errorCode, message, durationMs });
  if (code === ErrorCode.DESTINATION_REFUSED) {
    return { kind: 'refused', errorCode: AttemptCode.DESTINATION_REFUSED, message: detail, durationMs };
  }
  if (timedOut || TIMEOUT_CODES.has(code)) return failed(AttemptCode.TIMEOUT, `Timed out after ${formatTimeout(req.timeoutMs)}`);
  if (code === 'ECONNREFUSED') return failed(AttemptCode.ECONNREFUSED, ATTEMPT_CODES.ECONNREFUSED.message);
  if (DNS_CODES.has(code)) return failed(AttemptCode.DNS, `Could not resolve host ${hostOf(req.origin)}`);
  if (CLOSED_CODES.has(code)) return failed(AttemptCode.SOCKET_CLOSED, ATTEMPT_CODES.SOCKET_CLOSED.message);
  if (code === 'EHOSTUNREACH') return failed(AttemptCode.EHOSTUNREACH, ATTEMPT_CODES.EHOSTUNREACH.message);
  if (code === 'ENETUNREACH') return failed(AttemptCode.ENETUNREACH, ATTEMPT_CODES.ENETUNREACH.message);
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL')) {
    return failed(AttemptCode.TLS, `TLS handshake failed: ${detail}`);
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
    return failed(AttemptCode.INVALID_REQUEST, `Invalid request: ${detail}`);
  }
  // Any other system error: one code, the system's own in the message.
  const text = detail || 'Network error';
  return failed(AttemptCode.NETWORK, code && !text.includes(code) ? `${text} (${code})` : text);
}
