/**
 * Turns any error into the API's `{"error": "<message>"}` body and status. Messages of 5xx errors
 * are never sent (Fastify's default would echo them); JSON parse errors get a fixed message
 * because the parser's own text may quote the body, secrets included.
 */
import { STATUS_CODES } from 'node:http';
import { ErrorCode, HookpostError } from '../errors.js';

export interface HttpError {
  readonly statusCode: number;
  readonly message: string;
}

const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  [ErrorCode.VALIDATION]: 400,
  [ErrorCode.UNAUTHORIZED]: 401,
  [ErrorCode.FORBIDDEN]: 403,
  [ErrorCode.NOT_FOUND]: 404,
  [ErrorCode.NAME_TAKEN]: 409,
  // A change to a webhook whose stored secrets this process cannot decrypt (its message names the
  // key, never a value): the record's state, not the request, is what stands in the way.
  [ErrorCode.SECRET_UNREADABLE]: 409,
};

const FASTIFY_ERRORS: Record<string, (bodyLimitBytes: number) => HttpError> = {
  FST_ERR_CTP_BODY_TOO_LARGE: (limit) => ({ statusCode: 413, message: `body: must be at most ${limit} bytes` }),
  FST_ERR_CTP_INVALID_MEDIA_TYPE: () => ({ statusCode: 415, message: 'Content-Type: must be application/json' }),
  FST_ERR_CTP_EMPTY_JSON_BODY: () => ({
    statusCode: 400,
    message: 'body: must not be empty when Content-Type is application/json',
  }),
  FST_ERR_CTP_INVALID_JSON_BODY: () => ({ statusCode: 400, message: 'body: must be valid JSON' }),
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: () => ({
    statusCode: 400,
    message: 'Content-Length: must match the body length',
  }),
};

export const INTERNAL_ERROR: HttpError = Object.freeze({ statusCode: 500, message: 'internal error' });

/** Maps an error thrown while handling a request to a safe status and message. */
export function toHttpError(err: unknown, bodyLimitBytes: number): HttpError {
  if (err instanceof HookpostError) {
    const statusCode = STATUS_BY_CODE[err.code];
    return statusCode === undefined ? INTERNAL_ERROR : { statusCode, message: err.message };
  }
  if (typeof err !== 'object' || err === null) return INTERNAL_ERROR;
  const { code, statusCode } = err as { code?: unknown; statusCode?: unknown };
  const known = typeof code === 'string' ? FASTIFY_ERRORS[code] : undefined;
  if (known) return known(bodyLimitBytes);
  if (err instanceof SyntaxError && statusCode === 400) return { statusCode: 400, message: 'body: must be valid JSON' };
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { statusCode, message: (STATUS_CODES[statusCode] ?? 'bad request').toLowerCase() };
  }
  return INTERNAL_ERROR;
}
