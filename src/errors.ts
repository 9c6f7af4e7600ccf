/**
 * One error base for hookpost with a stable, documented code.
 * Callers match on `code`, never on message text (as undici's `UND_ERR_*` and Fastify's `FST_ERR_*`).
 */
export const ErrorCode = {
  /** A configuration variable is missing or invalid; the message lists every problem. */
  CONFIG_INVALID: 'HOOKPOST_ERR_CONFIG_INVALID',
  /** The signing key file does not exist. */
  SIGNING_KEY_MISSING: 'HOOKPOST_ERR_SIGNING_KEY_MISSING',
  /** The signing key file exists but cannot be read (permissions, a directory, ...). */
  SIGNING_KEY_UNREADABLE: 'HOOKPOST_ERR_SIGNING_KEY_UNREADABLE',
  /** The signing key file holds a public key where a private key is needed. */
  SIGNING_KEY_PUBLIC: 'HOOKPOST_ERR_SIGNING_KEY_PUBLIC',
  /** The signing key is a private key of another algorithm (RSA, EC, ...). */
  SIGNING_KEY_WRONG_TYPE: 'HOOKPOST_ERR_SIGNING_KEY_WRONG_TYPE',
  /** The signing key file is not a PEM PKCS#8 key at all. */
  SIGNING_KEY_INVALID: 'HOOKPOST_ERR_SIGNING_KEY_INVALID',
  /** Signing a delivery failed. */
  SIGNING_FAILED: 'HOOKPOST_ERR_SIGNING_FAILED',
  /** A webhook secret is empty, or `whsec_` followed by something that is not non-empty padded base64. */
  WEBHOOK_SECRET_INVALID: 'HOOKPOST_ERR_WEBHOOK_SECRET_INVALID',
  /** A producer event does not match the event schema. */
  EVENT_INVALID: 'HOOKPOST_ERR_EVENT_INVALID',
  /** An API request body, parameter or query is invalid. */
  VALIDATION: 'HOOKPOST_ERR_VALIDATION',
  /** No such webhook, webhook test or delivery. */
  NOT_FOUND: 'HOOKPOST_ERR_NOT_FOUND',
  /** A webhook name is already taken in the project. */
  NAME_TAKEN: 'HOOKPOST_ERR_NAME_TAKEN',
  /** Missing or invalid API token. */
  UNAUTHORIZED: 'HOOKPOST_ERR_UNAUTHORIZED',
  /** A destination URL or address is not allowed by configuration. */
  DESTINATION_REFUSED: 'HOOKPOST_ERR_DESTINATION_REFUSED',
  /** The encryption key file (HOOKPOST_ENCRYPTION_KEY_FILE) is missing, unreadable or holds no valid key. */
  ENCRYPTION_KEY_INVALID: 'HOOKPOST_ERR_ENCRYPTION_KEY_INVALID',
  /** A stored secret cannot be decrypted: unknown key id, tampered, or copied from another record. */
  SECRET_UNREADABLE: 'HOOKPOST_ERR_SECRET_UNREADABLE',
  /** The API token is valid but not allowed to change this project. */
  FORBIDDEN: 'HOOKPOST_ERR_FORBIDDEN',
  /** Redis could not be reached. */
  REDIS_UNAVAILABLE: 'HOOKPOST_ERR_REDIS_UNAVAILABLE',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class HookpostError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'HookpostError';
    this.code = code;
  }
}

/** True when `err` is a HookpostError with the given code. */
export function hasCode(err: unknown, code: ErrorCode): err is HookpostError {
  return err instanceof HookpostError && err.code === code;
}
