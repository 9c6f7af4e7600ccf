/**
 * The hardened egress client: one undici Agent with keep-alive pools per origin, the destination
 * guard on every new connection, one deadline over the whole attempt, a capped response read (the
 * attempt's dispatch handler, response-handler.ts), and never a thrown remote failure: every
 * attempt ends in an {@link AttemptOutcome}.
 */
import { performance } from 'node:perf_hooks';
import type { Socket } from 'node:net';
import { Agent, buildConnector } from 'undici';
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
  const connecting = new ConnectingSockets(buildConnector({ lookup: createGuardedLookup(policy), timeout: BACKSTOP_TIMEOUT_MS }));
  const agent = new Agent({
    connections: options.connectionsPerOrigin ?? 64,
    pipelining: 1,
    headersTimeout: BACKSTOP_TIMEOUT_MS,
    bodyTimeout: BACKSTOP_TIMEOUT_MS,
    connect: connecting.connect,
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
        let waiting = true;
        const stopWaiting = () => {
          if (!waiting) return;
          waiting = false;
          connecting.leave(req.origin);
        };
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
          stopWaiting();
          resolve(outcome);
        };
        // Once the status is in, the receiver has answered: a body cut short changes nothing.
        const handler = new ResponseHandler({
          maxResponseBytes,
          onStart: stopWaiting,
          onEnd: (err) => {
            if (handler.status !== undefined) finish(answered(handler.status));
            else finish(classifyError(err ?? new Error('no final response'), timedOut, req, elapsed(), handler.interimStatus));
          },
        });
        const timer = setTimeout(() => {
          timedOut = true;
          const deadline = new Error('attempt deadline passed');
          const started = handler.started;
          if (handler.status !== undefined) finish(answered(handler.status));
          else finish(classifyError(deadline, true, req, elapsed()));
          handler.abort(deadline);
          // Still in TCP connect or TLS handshake: undici would wait for its connect timeout (the
          // backstop). Close the origin's pending connects now unless another attempt still waits.
          if (!started) connecting.expire(req.origin, deadline);
        }, req.timeoutMs);
        connecting.join(req.origin);
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

/** OpenSSL reasons that mean the receiver did not speak TLS at all (e.g. plain HTTP on an https URL). */
const NOT_TLS_CODES = new Set(['ERR_SSL_WRONG_VERSION_NUMBER', 'ERR_SSL_HTTP_REQUEST', 'ERR_SSL_PACKET_LENGTH_TOO_LONG', 'ERR_SSL_RECORD_LAYER_FAILURE']);

/**
 * A TLS failure in words, without OpenSSL's internals (`801C…:error:0A00010B:SSL routines:
 * ssl3_get_record:wrong version number:../deps/openssl/…/ssl3_record.c:350:`): its reason only.
 */
function tlsReason(code: string, detail: string): string {
  if (NOT_TLS_CODES.has(code)) return 'the receiver did not answer with TLS (a plain-HTTP server on an https URL?)';
  const openssl = /SSL routines:[^:]*:([^:]+)/.exec(detail);
  if (openssl?.[1]) return openssl[1].trim();
  return detail.replace(/:?\.\.?\/deps\/\S*/g, '').trim() || 'TLS error';
}

/**
 * What was wrong with a response undici's HTTP/1.1 parser refused, in words: its message is
 * "Response does not match the HTTP/1.1 protocol (<llhttp reason>)".
 */
function parserReason(detail: string): string {
  const reason = /\(([^()]+)\)\s*$/.exec(detail)?.[1]?.trim();
  if (reason === undefined) return 'unparseable';
  if (reason.startsWith('Expected HTTP/')) return 'no status line';
  if (reason === 'Invalid status code') return 'no valid status code in the status line';
  return reason;
}

function classifyError(err: unknown, timedOut: boolean, req: DeliveryRequest, durationMs: number, interimStatus?: number): AttemptOutcome {
  // undici's parse errors carry `code: undefined`: only a string is a code.
  const rawCode = typeof err === 'object' && err !== null && 'code' in err ? err.code : undefined;
  const code = typeof rawCode === 'string' ? rawCode : '';
  const name = err instanceof Error ? err.name : '';
  const detail = err instanceof Error ? err.message : String(err);
  const failed = (errorCode: AttemptCode, message: string): AttemptOutcome => ({ kind: 'failed', errorCode, message, durationMs });
  if (code === ErrorCode.DESTINATION_REFUSED) {
    return { kind: 'refused', errorCode: AttemptCode.DESTINATION_REFUSED, message: detail, durationMs };
  }
  const afterInterim = interimStatus === undefined ? '' : ` (after an interim HTTP ${interimStatus})`;
  if (timedOut || TIMEOUT_CODES.has(code)) return failed(AttemptCode.TIMEOUT, `Timed out after ${formatTimeout(req.timeoutMs)}${afterInterim}`);
  if (name === 'HTTPParserError' || code.startsWith('HPE_')) {
    return failed(AttemptCode.INVALID_RESPONSE, `Invalid response: the receiver's answer is not HTTP/1.1 (${parserReason(detail)})`);
  }
  // undici ends the connection on these two 1xx answers before any handler sees them.
  if (code === 'UND_ERR_SOCKET' && detail === 'bad upgrade') {
    return failed(AttemptCode.INVALID_RESPONSE, 'Invalid response: the receiver answered 101 Switching Protocols, which the request did not ask for');
  }
  if (code === 'UND_ERR_SOCKET' && detail === 'bad response') {
    return failed(AttemptCode.INVALID_RESPONSE, 'Invalid response: the receiver answered 100 Continue, which the request did not ask for (no Expect header)');
  }
  if (code === 'ECONNREFUSED') return failed(AttemptCode.ECONNREFUSED, ATTEMPT_CODES.ECONNREFUSED.message);
  if (DNS_CODES.has(code)) return failed(AttemptCode.DNS, `Could not resolve host ${hostOf(req.origin)}`);
  if (CLOSED_CODES.has(code)) {
    const message = interimStatus === undefined ? ATTEMPT_CODES.SOCKET_CLOSED.message : `Connection closed after an interim HTTP ${interimStatus}, without a final response`;
    return failed(AttemptCode.SOCKET_CLOSED, message);
  }
  if (code === 'EHOSTUNREACH') return failed(AttemptCode.EHOSTUNREACH, ATTEMPT_CODES.EHOSTUNREACH.message);
  if (code === 'ENETUNREACH') return failed(AttemptCode.ENETUNREACH, ATTEMPT_CODES.ENETUNREACH.message);
  if (code.startsWith('ERR_TLS') || code.includes('CERT') || code.startsWith('ERR_SSL')) {
    return failed(AttemptCode.TLS, `TLS handshake failed: ${tlsReason(code, detail)}`);
  }
  if (code === 'UND_ERR_INVALID_ARG' || code === 'UND_ERR_NOT_SUPPORTED') {
    return failed(AttemptCode.INVALID_REQUEST, `Invalid request: ${detail}`);
  }
  // Any other system error: one code, the system's own in the message.
  const text = detail || 'Network error';
  return failed(AttemptCode.NETWORK, code && !text.includes(code) ? `${text} (${code})` : text);
}

type Connector = buildConnector.connector;

/**
 * The agent's connector, keeping the sockets still in TCP connect or TLS handshake per origin, and
 * how many attempts per origin wait for a connection. An attempt whose deadline passes before its
 * request started closes the origin's pending connects when no other attempt still waits for them:
 * without it a receiver that accepts TCP but never finishes the handshake holds the socket until
 * the connect backstop (60 s), long after the attempt was recorded as timed out.
 */
class ConnectingSockets {
  readonly #pending = new Map<string, Set<Socket>>();
  readonly #waiting = new Map<string, number>();
  readonly connect: Connector;

  constructor(base: Connector) {
    this.connect = (opts, callback) => {
      const key = `${opts.protocol}//${opts.host}`;
      let socket: Socket | undefined;
      const done = () => {
        const set = this.#pending.get(key);
        if (!set || !socket) return;
        set.delete(socket);
        if (set.size === 0) this.#pending.delete(key);
      };
      socket = base(opts, (err, connected) => {
        done();
        if (err) callback(err, null);
        else callback(null, connected as Socket);
      }) as unknown as Socket | undefined;
      if (!socket) return socket;
      const set = this.#pending.get(key) ?? new Set<Socket>();
      this.#pending.set(key, set);
      set.add(socket);
      socket.once('close', done);
      return socket as unknown as ReturnType<Connector>;
    };
  }

  /** An attempt for `origin` waits for a connection. */
  join(origin: string): void {
    this.#waiting.set(origin, (this.#waiting.get(origin) ?? 0) + 1);
  }

  /** It stopped waiting (its request started, or it ended); once per attempt. */
  leave(origin: string): void {
    const n = this.#waiting.get(origin);
    if (n === undefined) return;
    if (n <= 1) this.#waiting.delete(origin);
    else this.#waiting.set(origin, n - 1);
  }

  /** An attempt's deadline passed before it started: close the origin's pending connects if nobody else waits. */
  expire(origin: string, reason: Error): void {
    if (this.#waiting.has(origin)) return;
    let key: string;
    try {
      const url = new URL(origin);
      key = `${url.protocol}//${url.host}`;
    } catch {
      return;
    }
    const set = this.#pending.get(key);
    if (!set) return;
    this.#pending.delete(key);
    for (const socket of set) socket.destroy(reason);
  }
}
