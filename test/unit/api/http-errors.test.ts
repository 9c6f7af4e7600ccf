import { describe, expect, it } from 'vitest';
import { toHttpError } from '../../../src/api/http-errors.js';
import { ErrorCode, HookpostError } from '../../../src/errors.js';

const fastifyError = (code: string, statusCode: number, message = 'raw message with body {"secret":1}') =>
  Object.assign(new Error(message), { code, statusCode });

describe('toHttpError', () => {
  it('maps HookpostError codes to statuses, keeping their messages', () => {
    expect(toHttpError(new HookpostError(ErrorCode.VALIDATION, 'name: required'), 1)).toEqual({
      statusCode: 400,
      message: 'name: required',
    });
    expect(toHttpError(new HookpostError(ErrorCode.NOT_FOUND, 'x'), 1).statusCode).toBe(404);
    expect(toHttpError(new HookpostError(ErrorCode.NAME_TAKEN, 'x'), 1).statusCode).toBe(409);
    expect(toHttpError(new HookpostError(ErrorCode.UNAUTHORIZED, 'x'), 1).statusCode).toBe(401);
    expect(toHttpError(new HookpostError(ErrorCode.REDIS_UNAVAILABLE, 'redis at 10.0.0.1'), 1)).toEqual({
      statusCode: 500,
      message: 'internal error',
    });
  });

  it('maps Fastify body errors to fixed messages', () => {
    expect(toHttpError(fastifyError('FST_ERR_CTP_BODY_TOO_LARGE', 413), 1024)).toEqual({
      statusCode: 413,
      message: 'body: must be at most 1024 bytes',
    });
    expect(toHttpError(fastifyError('FST_ERR_CTP_INVALID_MEDIA_TYPE', 415), 1).statusCode).toBe(415);
    expect(toHttpError(fastifyError('FST_ERR_CTP_EMPTY_JSON_BODY', 400), 1).statusCode).toBe(400);
    const syntax = Object.assign(new SyntaxError('Unexpected token in {"secret":1}'), { statusCode: 400 });
    expect(toHttpError(syntax, 1)).toEqual({ statusCode: 400, message: 'body: must be valid JSON' });
  });

  it('never passes other messages through', () => {
    expect(toHttpError(fastifyError('FST_SOMETHING', 400), 1)).toEqual({ statusCode: 400, message: 'bad request' });
    expect(toHttpError(fastifyError('X', 404), 1)).toEqual({ statusCode: 404, message: 'not found' });
    expect(toHttpError(new Error('boom at /srv/secret'), 1)).toEqual({ statusCode: 500, message: 'internal error' });
    expect(toHttpError(fastifyError('X', 502), 1)).toEqual({ statusCode: 500, message: 'internal error' });
    expect(toHttpError('string', 1).statusCode).toBe(500);
    expect(toHttpError(null, 1).statusCode).toBe(500);
  });
});
