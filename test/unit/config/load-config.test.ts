import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  CONFIG_VARIABLES,
  LOCAL_DEV_TOKEN,
  loadConfig,
  parseDurationMs,
  parseRetrySchedule,
} from '../../../config/index.js';
import { ErrorCode, HookpostError } from '../../../src/errors.js';

const required = {
  HOOKPOST_API_TOKENS: 'a-very-long-token-0001',
  HOOKPOST_SIGNING_KEY_FILE: '/run/secrets/signing-key.pem',
  HOOKPOST_ENCRYPTION_KEY_FILE: '/run/secrets/encryption-key',
};

/** The configured tokens in clear, for assertions (the config itself never shows them). */
const tokensOf = (config: { apiTokens: readonly { reveal(): string }[] }) => config.apiTokens.map((t) => t.reveal());

function problemsOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (err) {
    expect(err).toBeInstanceOf(HookpostError);
    expect((err as HookpostError).code).toBe(ErrorCode.CONFIG_INVALID);
    return (err as Error).message;
  }
  throw new Error('expected loadConfig to throw');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(required);
    expect(config).toMatchObject({
      redisUrl: 'redis://127.0.0.1:6379',
      prefix: 'hookpost',
      eventsQueue: 'events',
      apiPort: 8080,
      metricsPort: 9464,
      signingKeyFile: '/run/secrets/signing-key.pem',
      encryptionKeyFile: '/run/secrets/encryption-key',
      allowHttp: false,
      allowPrivateTargets: false,
      concurrency: 64,
      retryScheduleMs: [10_000, 60_000, 300_000, 1_800_000, 7_200_000, 21_600_000],
      logLevel: 'info',
      shutdownTimeoutMs: 35_000,
      lockDurationMs: 30_000,
      localMode: false,
    });
    expect(tokensOf(config)).toEqual(['a-very-long-token-0001']);
    expect(config.apiTokens[0]?.projects).toBeNull();
  });

  it('listens on 0.0.0.0 except in local mode (127.0.0.1); HOOKPOST_API_HOST always wins', () => {
    expect(loadConfig(required).apiHost).toBe('0.0.0.0');
    expect(loadConfig(required, { role: 'worker' }).apiHost).toBe('0.0.0.0');
    expect(loadConfig({}, { role: 'local' }).apiHost).toBe('127.0.0.1');
    expect(loadConfig({ HOOKPOST_API_HOST: '0.0.0.0', HOOKPOST_API_TOKENS: 'my-own-token-00000001' }, { role: 'local' }).apiHost).toBe('0.0.0.0');
  });

  it('local mode on a non-loopback interface without HOOKPOST_API_TOKENS is refused, naming both variables', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'my-laptop.lan', '[::]']) {
      expect(() => loadConfig({ HOOKPOST_API_HOST: host }, { role: 'local' }), host).toThrow(
        `HOOKPOST_API_HOST: "${host}" is reachable from other machines, and without HOOKPOST_API_TOKENS local mode accepts the published token ${LOCAL_DEV_TOKEN}`,
      );
    }
    for (const host of ['127.0.0.1', '127.0.0.2', 'localhost', '::1', '[::1]']) {
      expect(loadConfig({ HOOKPOST_API_HOST: host }, { role: 'local' }).apiHost, host).toBe(host);
    }
    const tokensFile = join(mkdtempSync(join(tmpdir(), 'hookpost-tokens-')), 'tokens');
    writeFileSync(tokensFile, 'file-token-0123456789\n');
    expect(loadConfig({ HOOKPOST_API_HOST: '0.0.0.0', HOOKPOST_API_TOKENS_FILE: tokensFile }, { role: 'local' }).apiHost).toBe('0.0.0.0');
    // The api role is not local mode: no dev token to protect.
    expect(loadConfig({ ...required, HOOKPOST_API_HOST: '0.0.0.0' }).apiHost).toBe('0.0.0.0');
  });

  it('records whether HOOKPOST_REDIS_URL was set (an empty value counts as unset)', () => {
    expect(loadConfig({}, { role: 'local' })).toMatchObject({ redisUrl: 'redis://127.0.0.1:6379', redisUrlSet: false });
    expect(loadConfig({ HOOKPOST_REDIS_URL: ' ' }, { role: 'local' }).redisUrlSet).toBe(false);
    expect(loadConfig({ HOOKPOST_REDIS_URL: 'redis://127.0.0.1:6379' }, { role: 'local' }).redisUrlSet).toBe(true);
  });

  it('freezes the result', () => {
    const config = loadConfig(required);
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.apiTokens)).toBe(true);
    expect(() => {
      (config as { apiPort: number }).apiPort = 1;
    }).toThrow();
  });

  it('parses every variable that is set', () => {
    const config = loadConfig({
      ...required,
      HOOKPOST_REDIS_URL: 'rediss://user:pw@redis.example:6380/2',
      HOOKPOST_PREFIX: '{hookpost}',
      HOOKPOST_EVENTS_QUEUE: 'lifecycle',
      HOOKPOST_API_PORT: '9000',
      HOOKPOST_METRICS_PORT: '9100',
      HOOKPOST_API_TOKENS: ' token-one-0123456789 , token-two-0123456789 ',
      HOOKPOST_ALLOW_HTTP: 'true',
      HOOKPOST_ALLOW_PRIVATE_TARGETS: '1',
      HOOKPOST_CONCURRENCY: '200',
      HOOKPOST_RETRY_SCHEDULE: '500ms, 2s,1m,1h',
      HOOKPOST_LOG_LEVEL: 'DEBUG',
      HOOKPOST_SHUTDOWN_TIMEOUT: '40s',
    });
    expect(config).toMatchObject({
      redisUrl: 'rediss://user:pw@redis.example:6380/2',
      prefix: '{hookpost}',
      eventsQueue: 'lifecycle',
      apiPort: 9000,
      metricsPort: 9100,
      allowHttp: true,
      allowPrivateTargets: true,
      concurrency: 200,
      retryScheduleMs: [500, 2_000, 60_000, 3_600_000],
      logLevel: 'debug',
      shutdownTimeoutMs: 40_000,
    });
    expect(tokensOf(config)).toEqual(['token-one-0123456789', 'token-two-0123456789']);
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ ...required, HOOKPOST_API_PORT: '', HOOKPOST_LOG_LEVEL: ' ' }).apiPort).toBe(8080);
  });

  it.each([
    ['HOOKPOST_API_PORT', 'abc', 'HOOKPOST_API_PORT: expected an integer 1-65535, got "abc"'],
    ['HOOKPOST_API_PORT', '0', 'HOOKPOST_API_PORT: expected an integer 1-65535, got "0"'],
    ['HOOKPOST_METRICS_PORT', '70000', 'HOOKPOST_METRICS_PORT: expected an integer 1-65535, got "70000"'],
    ['HOOKPOST_CONCURRENCY', '2.5', 'HOOKPOST_CONCURRENCY: expected an integer 1-10000, got "2.5"'],
    ['HOOKPOST_ALLOW_HTTP', 'maybe', 'HOOKPOST_ALLOW_HTTP: expected true or false, got "maybe"'],
    ['HOOKPOST_REDIS_URL', 'http://localhost', 'HOOKPOST_REDIS_URL: expected a redis:// or rediss:// URL'],
    ['HOOKPOST_PREFIX', 'has space', 'HOOKPOST_PREFIX: expected 1-64 characters'],
    ['HOOKPOST_LOG_LEVEL', 'loud', 'HOOKPOST_LOG_LEVEL: expected one of fatal, error, warn, info, debug, trace, silent, got "loud"'],
    ['HOOKPOST_RETRY_SCHEDULE', '10s,soon', 'HOOKPOST_RETRY_SCHEDULE: "soon" is not a duration'],
    ['HOOKPOST_SHUTDOWN_TIMEOUT', '30', 'HOOKPOST_SHUTDOWN_TIMEOUT: expected a duration such as 30s or 500ms, got "30"'],
    ['HOOKPOST_LOCK_DURATION', '1s', 'HOOKPOST_LOCK_DURATION: expected a duration from 5s to 10m'],
    ['HOOKPOST_API_TOKENS', 'short', 'HOOKPOST_API_TOKENS: token #1 must be at least 16 characters'],
  ])('rejects %s=%j with a message naming it', (name, value, message) => {
    expect(problemsOf({ ...required, [name]: value })).toContain(message);
  });

  it('lists every bad variable in one error', () => {
    const message = problemsOf({ ...required, HOOKPOST_API_PORT: 'abc', HOOKPOST_CONCURRENCY: '-1', HOOKPOST_ALLOW_HTTP: 'x' });
    expect(message).toContain('HOOKPOST_API_PORT');
    expect(message).toContain('HOOKPOST_CONCURRENCY');
    expect(message).toContain('HOOKPOST_ALLOW_HTTP');
  });

  it('never echoes an API token in its error', () => {
    const message = problemsOf({ ...required, HOOKPOST_API_TOKENS: 'good-token-000000000,secret1' });
    expect(message).toContain('token #2');
    expect(message).not.toContain('secret1');
  });

  it('requires tokens, a signing key and an encryption key outside local mode', () => {
    const message = problemsOf({});
    expect(message).toContain('HOOKPOST_API_TOKENS: required');
    expect(message).toContain('HOOKPOST_SIGNING_KEY_FILE: required');
    expect(message).toContain('HOOKPOST_ENCRYPTION_KEY_FILE: required');
  });

  it('takes several signing key files, comma-separated, the first signing (key rotation)', () => {
    expect(loadConfig(required)).toMatchObject({
      signingKeyFile: '/run/secrets/signing-key.pem',
      signingKeyFiles: ['/run/secrets/signing-key.pem'],
    });
    const rotating = loadConfig({ ...required, HOOKPOST_SIGNING_KEY_FILE: ' /keys/new.pem , /keys/old.pem ' });
    expect(rotating).toMatchObject({ signingKeyFile: '/keys/new.pem', signingKeyFiles: ['/keys/new.pem', '/keys/old.pem'] });
    expect(Object.isFrozen(rotating.signingKeyFiles)).toBe(true);
    expect(loadConfig({}, { role: 'local' }).signingKeyFiles).toEqual([]);
    expect(problemsOf({ ...required, HOOKPOST_SIGNING_KEY_FILE: '/a.pem,,/b.pem' })).toContain(
      'HOOKPOST_SIGNING_KEY_FILE: expected one path, or several separated by commas',
    );
    expect(problemsOf({ ...required, HOOKPOST_SIGNING_KEY_FILE: '/a.pem,/a.pem' })).toContain(
      'HOOKPOST_SIGNING_KEY_FILE: /a.pem is listed twice',
    );
  });

  it('a worker needs the signing and encryption keys but no API tokens', () => {
    const keys = { HOOKPOST_SIGNING_KEY_FILE: '/k.pem', HOOKPOST_ENCRYPTION_KEY_FILE: '/e.key' };
    expect(loadConfig(keys, { role: 'worker' }).apiTokens).toEqual([]);
    expect(() => loadConfig({}, { role: 'worker' })).toThrow('HOOKPOST_SIGNING_KEY_FILE: required');
    expect(() => loadConfig({ HOOKPOST_SIGNING_KEY_FILE: '/k.pem' }, { role: 'worker' })).toThrow(
      'HOOKPOST_ENCRYPTION_KEY_FILE: required',
    );
  });

  it('local mode fills in only what is not set', () => {
    const local = loadConfig({}, { role: 'local' });
    expect(tokensOf(local)).toEqual([LOCAL_DEV_TOKEN]);
    expect(local).toMatchObject({
      signingKeyFile: undefined,
      encryptionKeyFile: undefined,
      allowHttp: true,
      allowPrivateTargets: true,
      localMode: true,
    });
    const explicit = loadConfig(
      { HOOKPOST_ALLOW_HTTP: 'false', HOOKPOST_API_TOKENS: 'my-own-token-00000001' },
      { role: 'local' },
    );
    expect(explicit.allowHttp).toBe(false);
    expect(explicit.allowPrivateTargets).toBe(true);
    expect(tokensOf(explicit)).toEqual(['my-own-token-00000001']);
  });

  it('publishes the list of variables it reads', () => {
    expect(CONFIG_VARIABLES).toContain('HOOKPOST_RETRY_SCHEDULE');
    expect(CONFIG_VARIABLES.every((v) => v.startsWith('HOOKPOST_'))).toBe(true);
  });
});

describe('retry schedule syntax', () => {
  it.each([
    ['250ms', 250],
    ['10s', 10_000],
    ['5m', 300_000],
    ['2h', 7_200_000],
    [' 1s ', 1_000],
  ])('parses %j', (text, ms) => {
    expect(parseDurationMs(text)).toBe(ms);
  });

  it.each(['', '10', 's', '1.5s', '-1s', '10 s', '3d', '1e3ms'])('rejects %j', (text) => {
    expect(parseDurationMs(text)).toBeUndefined();
  });

  it('parses a list and its length is the number of retries', () => {
    expect(parseRetrySchedule('1s,2s,4s')).toEqual([1_000, 2_000, 4_000]);
  });

  it.each([
    ['1s,,2s', '"" is not a duration'],
    ['0s', 'must be greater than zero'],
    ['200h', 'longer than 7 days'],
    [Array(26).fill('1s').join(','), 'at most 25 retries'],
  ])('explains why %j is invalid', (text, reason) => {
    expect(parseRetrySchedule(text)).toContain(reason);
  });
});
