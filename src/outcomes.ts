/**
 * The outcome vocabulary of a delivery, in one place: the code of every attempt (one closed table),
 * how one attempt ended, and how a delivery stands after it. The attempt log, the dead letters, the
 * metrics' labels, the API's schemas and the queue's settlement import these; nothing spells them
 * itself. docs/errors.md lists every code (a unit test keeps the page and this table equal).
 */

/** What an attempt code says. */
export interface AttemptCodeInfo {
  /** A failure with this code is never retried: the delivery is dead-lettered (or skipped) at once. */
  readonly final: boolean;
  /** The request left hookpost: the receiver may have seen it. False when the attempt was not made. */
  readonly sent: boolean;
  /**
   * For people. Where an attempt's own message is this text exactly, the code uses it from here;
   * otherwise the attempt's message adds details (the timeout, the host, the reason).
   */
  readonly message: string;
}

/**
 * Every attempt code except `HTTP_<status>` ({@link HTTP_ATTEMPT_CODE}), which an attempt gets
 * whenever the receiver answered, success included.
 */
export const ATTEMPT_CODES = {
  TIMEOUT: { final: false, sent: true, message: "Timed out: no complete answer within the webhook's timeout" },
  ECONNREFUSED: { final: false, sent: true, message: 'Connection refused' },
  SOCKET_CLOSED: { final: false, sent: true, message: 'Connection closed without a response' },
  INVALID_RESPONSE: { final: false, sent: true, message: 'Invalid response: the answer is not HTTP/1.1 (a bad status line, no status line, binary data) or an interim 100/101 the request did not ask for' },
  DNS: { final: false, sent: true, message: 'Could not resolve the host' },
  TLS: { final: false, sent: true, message: 'TLS handshake failed' },
  EHOSTUNREACH: { final: false, sent: true, message: 'Host unreachable' },
  ENETUNREACH: { final: false, sent: true, message: 'Network unreachable' },
  NETWORK: { final: false, sent: true, message: 'Network error (the system error code is in the message)' },
  ABANDONED: { final: false, sent: true, message: 'Abandoned at shutdown' },
  INVALID_REQUEST: { final: true, sent: false, message: 'Invalid request: the HTTP client refused it (e.g. a header value)' },
  DESTINATION_REFUSED: { final: true, sent: false, message: 'Destination not allowed (HOOKPOST_ALLOW_HTTP, HOOKPOST_ALLOW_PRIVATE_TARGETS)' },
  CIRCUIT_OPEN: { final: false, sent: false, message: "Not sent: the destination's circuit is open" },
  SIGNING_FAILED: { final: false, sent: false, message: 'Could not sign the request' },
  INTERNAL: { final: false, sent: false, message: 'Internal error while sending' },
  SECRET_UNREADABLE: {
    final: false,
    sent: false,
    message: "Not sent: this worker cannot decrypt the webhook's protected header values or secret (its encryption key file lacks their key)",
  },
  WEBHOOK_DELETED: { final: true, sent: false, message: 'Not sent: the webhook was deleted' },
  WEBHOOK_DISABLED: { final: true, sent: false, message: 'Not sent: the webhook is disabled' },
  WEBHOOK_CHANGED: { final: true, sent: false, message: 'Not sent: the webhook no longer listens to this event' },
} as const satisfies Record<string, AttemptCodeInfo>;

export type NamedAttemptCode = keyof typeof ATTEMPT_CODES;
/** The receiver answered with this status (2xx/3xx is a success, anything else a failure). */
export type HttpAttemptCode = `HTTP_${number}`;
/** The code of an attempt: a closed union. */
export type AttemptCode = NamedAttemptCode | HttpAttemptCode;

/** The named codes as constants, to match by constant: `AttemptCode.CIRCUIT_OPEN`. */
export const AttemptCode: { readonly [K in NamedAttemptCode]: K } = Object.freeze(
  Object.fromEntries(Object.keys(ATTEMPT_CODES).map((code) => [code, code])) as { [K in NamedAttemptCode]: K },
);

/** What `HTTP_<status>` says. */
export const HTTP_ATTEMPT_CODE: AttemptCodeInfo = Object.freeze({
  final: false,
  sent: true,
  message: 'The receiver answered with this status ("Received HTTP 500"): 2xx and 3xx are a success, anything else a failure',
});

const HTTP_CODE_RE = /^HTTP_\d{3}$/;

/** The code of an answered attempt. */
export function httpAttemptCode(status: number): HttpAttemptCode {
  return `HTTP_${status}`;
}

export function isAttemptCode(value: string): value is AttemptCode {
  return Object.hasOwn(ATTEMPT_CODES, value) || HTTP_CODE_RE.test(value);
}

export function attemptCodeInfo(code: AttemptCode): AttemptCodeInfo {
  return Object.hasOwn(ATTEMPT_CODES, code) ? ATTEMPT_CODES[code as NamedAttemptCode] : HTTP_ATTEMPT_CODE;
}

/** Spellings stored by earlier versions, and what they are now. */
const OLD_SPELLINGS: Readonly<Record<string, NamedAttemptCode>> = Object.freeze({ REFUSED_DESTINATION: 'DESTINATION_REFUSED' });

/**
 * A code as stored (attempt log, dead letters) read into today's vocabulary: an old spelling is
 * mapped, and a system error code stored by earlier versions (`EPROTO`, ...) reads as `NETWORK`.
 */
export function readAttemptCode(stored: string): AttemptCode {
  if (isAttemptCode(stored)) return stored;
  return OLD_SPELLINGS[stored] ?? AttemptCode.NETWORK;
}

/** How one attempt ended: answered with 2xx/3xx, failed (may be retried), or refused by us (final). */
export const ATTEMPT_KINDS = ['delivered', 'failed', 'refused'] as const;
export type AttemptKind = (typeof ATTEMPT_KINDS)[number];

/**
 * How a delivery stands after an attempt, as settled: delivered, to be retried, given up, refused
 * destination, or not attempted (the webhook was deleted, disabled or changed). The attempt log's
 * `outcome`, the `outcome` label of hookpost_deliveries_total and the API's `outcome` filter.
 */
export const DELIVERY_OUTCOMES = ['success', 'failed', 'refused', 'skipped', 'retrying'] as const;
export type DeliveryOutcome = (typeof DELIVERY_OUTCOMES)[number];

/**
 * The `outcome` label of hookpost_delivery_attempt_duration_seconds: whether a timed attempt got a
 * 2xx/3xx. Its own two values (not {@link DELIVERY_OUTCOMES}): one attempt, not the delivery.
 */
export const ATTEMPT_RESULTS = ['success', 'failure'] as const;
export type AttemptResultLabel = (typeof ATTEMPT_RESULTS)[number];
