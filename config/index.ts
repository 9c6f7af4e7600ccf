/**
 * Configuration: the only module that reads environment variables (12-factor).
 * `loadConfig(env)` parses every variable once with zod, applies defaults, freezes the result,
 * and on bad input throws one HookpostError listing every bad variable and why.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { ErrorCode, HookpostError } from '../src/errors.js';
import { MAX_SHARDS } from '../src/events/shards.js';
import { clusterPrefixProblem } from '../src/redis/connect.js';
import { type RedisTarget, RedisUrlError, parseRedisUrl } from '../src/redis/url.js';

/** The fixed API token of the local quickstart (`npm start` without HOOKPOST_API_TOKENS). */
export const LOCAL_DEV_TOKEN = 'hookpost-local-dev-token';

/** Default delays between attempts of `retry: true` webhooks. */
export const DEFAULT_RETRY_SCHEDULE = '10s,1m,5m,30m,2h,6h';

/** Default event jobs in flight per worker process (see bench/RESULTS.md). */
export const DEFAULT_CONCURRENCY = 64;


const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const DURATION_UNITS_MS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 } as const;
const MAX_RETRY_DELAY_MS = 7 * 24 * 3_600_000;
const MAX_RETRIES = 25;

/**
 * An accepted API token and the projects (= UP42 workspaces) it may read and change.
 * The token is behind `reveal()` so that no dump of the config (JSON, util.inspect, a log line)
 * can show it: only the token check calls it.
 */
export interface ApiToken {
  /** The projects it may touch; null: every project. */
  readonly projects: readonly string[] | null;
  reveal(): string;
}

/** Builds an ApiToken (frozen; the token lives in a closure). */
export function apiToken(token: string, projects: readonly string[] | null = null): ApiToken {
  return Object.freeze({ projects: projects === null ? null : Object.freeze([...projects]), reveal: () => token });
}

export interface Config {
  /** Redis URL for queues and registry (one Redis, a cluster or a Sentinel set; see src/redis/url.ts). Log it masked. */
  readonly redisUrl: string;
  /** `redisUrl` parsed: what src/redis/connect.ts connects to. */
  readonly redis: RedisTarget;
  /** False when HOOKPOST_REDIS_URL is unset (local mode may then start its own Redis). */
  readonly redisUrlSet: boolean;
  /** Prefix of every Redis key and queue; use a hash tag such as `{hookpost}` on Redis Cluster. */
  readonly prefix: string;
  /** Name of the BullMQ queue producers push events to. */
  readonly eventsQueue: string;
  /** Number of events queue shards (src/events/shards.ts); 1 = the single `<prefix>:<eventsQueue>`. */
  readonly shards: number;
  /** Shards this process's worker consumes, ascending; default all of them. */
  readonly shardsConsumed: readonly number[];
  /**
   * How often a worker looks at the events queues it does not consume (jobs waiting there are
   * reported) and at the previous shard tags' queues it drains, in milliseconds.
   */
  readonly queueCheckIntervalMs: number;
  /** Interface the API (or a worker's health server) listens on: `0.0.0.0`, but `127.0.0.1` in local mode. */
  readonly apiHost: string;
  readonly apiPort: number;
  readonly metricsPort: number;
  /**
   * Accepted API tokens with their projects, from HOOKPOST_API_TOKENS and HOOKPOST_API_TOKENS_FILE
   * (never logged: see ApiToken).
   */
  readonly apiTokens: readonly ApiToken[];
  /** Path of the file of AES-256 keys for secrets at rest; undefined only in local mode (a key is generated). */
  readonly encryptionKeyFile: string | undefined;
  /** Path of the PEM PKCS#8 Ed25519 private key that signs; undefined only in local mode (a key is generated). */
  readonly signingKeyFile: string | undefined;
  /**
   * Every signing key file, the signing one first; the others are published for receivers to trust
   * before they sign (key rotation). Empty only in local mode.
   */
  readonly signingKeyFiles: readonly string[];
  readonly allowHttp: boolean;
  readonly allowPrivateTargets: boolean;
  /** Event jobs in flight per worker process (the fast path's slots). */
  readonly concurrency: number;
  /** Deliveries-queue jobs in flight per worker process (retries, parked, tests, re-drives). */
  readonly deliveryConcurrency: number;
  /** Longest an attempt holds a job slot before it is detached, in milliseconds. */
  readonly inlineBudgetMs: number;
  /** Detached attempts (waiting on slow receivers without a job slot) per worker process, at most. */
  readonly maxDetachedAttempts: number;
  /** Attempts in flight per destination (origin) while it is fast / while it is slow. */
  readonly maxPerDestination: number;
  readonly slowMaxPerDestination: number;
  /** Retention of completed and failed event jobs (age in seconds, count). */
  readonly eventsKeepCompleted: Readonly<{ age: number; count: number }>;
  readonly eventsKeepFailed: Readonly<{ age: number; count: number }>;
  /** Delays between attempts in milliseconds; its length is the number of retries. */
  readonly retryScheduleMs: readonly number[];
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** Grace period for in-flight work on SIGTERM, in milliseconds. */
  readonly shutdownTimeoutMs: number;
  /**
   * BullMQ job lock in milliseconds. Workers renew it every half period while a job runs, so a
   * 30 s attempt keeps its lock; after a crash, its jobs are picked up again within about twice this.
   */
  readonly lockDurationMs: number;
  /** Attempt log: deliveries kept per webhook (the oldest by last activity go first). */
  readonly attemptLogPerWebhook: number;
  /** Attempt log: a delivery without a new attempt for this long is dropped, in milliseconds. */
  readonly attemptLogMaxAgeMs: number;
  /** Folder for local-mode state (the generated signing key, the embedded Redis's data). */
  readonly dataDir: string;
  /** True for the all-in-one local quickstart: dev token, generated key, http and private targets, loopback API. */
  readonly localMode: boolean;
}

/** Which process reads the config: what is required depends on it. */
export type ProcessRole = 'api' | 'worker' | 'local';

export interface LoadConfigOptions {
  /**
   * `api` (default, the strictest) needs API tokens and a signing key; `worker` needs the signing
   * key only; `local` is the quickstart: conveniences for what is not set (dev API token, generated
   * signing key, http and private targets allowed, the API on 127.0.0.1 only), while every variable that is set is honoured.
   */
  readonly role?: ProcessRole;
}

/**
 * Parses a duration such as `250ms`, `10s`, `5m` or `2h` into milliseconds.
 * Returns undefined when the text is not a duration.
 */
export function parseDurationMs(text: string): number | undefined {
  const match = /^(\d{1,9})(ms|s|m|h)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * DURATION_UNITS_MS[match[2] as keyof typeof DURATION_UNITS_MS];
}

/** Parses a retry schedule such as `10s,1m,5m` into milliseconds, or returns a reason. */
export function parseRetrySchedule(text: string): number[] | string {
  const parts = text.split(',').map((p) => p.trim());
  const delays: number[] = [];
  for (const part of parts) {
    const ms = parseDurationMs(part);
    if (ms === undefined) {
      return `"${part}" is not a duration (a whole number with unit ms, s, m or h, e.g. 10s)`;
    }
    if (ms <= 0) return `"${part}" must be greater than zero`;
    if (ms > MAX_RETRY_DELAY_MS) return `"${part}" is longer than 7 days`;
    delays.push(ms);
  }
  if (delays.length > MAX_RETRIES) return `at most ${MAX_RETRIES} retries, got ${delays.length}`;
  return delays;
}

const quoted = (value: unknown) => JSON.stringify(value);

/**
 * A project name in a token's scope: the API's rule for project_name / workspace_id (its `nameSchema`:
 * 1-64 characters of a-z, 0-9 and -, starting with a letter or digit; a test keeps the two equal). A
 * scope naming anything else could never match a request, so it is refused rather than ignored.
 */
const PROJECT_RE = /^[a-z0-9][a-z0-9-]{0,63}$/;
const PROJECT_RULE = 'project names are 1-64 characters of a-z, 0-9 and -, starting with a letter or digit';

/**
 * Parses token entries: `<token>` (every project), `<token>=*` (the same, said explicitly) or
 * `<token>=<project>|<project>...`. The scope starts after the last `=`, so tokens may contain `=`
 * (base64 padding); an entry ending in `=` is a token without scope. Returns the tokens, or
 * problems that name the entry by position (`where(i)`), never by content.
 */
export function parseTokenEntries(entries: readonly string[], where: (i: number) => string): ApiToken[] | string[] {
  const tokens: Array<{ token: string; projects: string[] | null }> = [];
  const problems: string[] = [];
  entries.forEach((entry, i) => {
    const at = entry.lastIndexOf('=');
    const scoped = at > 0 && at < entry.length - 1;
    const token = scoped ? entry.slice(0, at).trim() : entry;
    const scope = scoped ? entry.slice(at + 1).trim() : '*';
    if (token.length < 16 || /\s/.test(token)) {
      problems.push(`${where(i)} must be at least 16 characters without spaces`);
      return;
    }
    const projects = scope === '*' ? null : scope.split('|').map((p) => p.trim());
    const never = projects?.findIndex((p) => !PROJECT_RE.test(p)) ?? -1;
    if (projects !== null && never >= 0) {
      // The position only: if the `=` was part of the token, the "scope" is token text.
      problems.push(
        `${where(i)}: project #${never + 1} of its scope can never match a project (${PROJECT_RULE}); ` +
          'expected <token>=<project>|<project>... or <token>=*',
      );
      return;
    }
    tokens.push({ token, projects: projects === null ? null : [...new Set(projects)] });
  });
  tokens.forEach((t, i) => {
    if (tokens.findIndex((o) => o.token === t.token) !== i) problems.push(`${where(i)} is configured twice`);
  });
  return problems.length > 0 ? problems : tokens.map((t) => apiToken(t.token, t.projects));
}

/** Splits HOOKPOST_API_TOKENS: comma-separated entries. */
const tokenEntriesOfVariable = (raw: string) =>
  raw
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t.length > 0);

/** Reads HOOKPOST_API_TOKENS_FILE: one entry per line; blank lines and `#` comments ignored. */
function tokenEntriesOfFile(path: string): { entries: string[]; lines: number[] } | string {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    return `cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  const entries: string[] = [];
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    entries.push(line);
    lines.push(i + 1);
  });
  return { entries, lines };
}

const integer = (min: number, max: number) =>
  z.string().transform((raw, ctx) => {
    const n = /^\d+$/.test(raw.trim()) ? Number(raw.trim()) : Number.NaN;
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `expected an integer ${min}-${max}, got ${quoted(raw)}` });
      return z.NEVER;
    }
    return n;
  });

const boolean = z.string().transform((raw, ctx) => {
  const v = raw.trim().toLowerCase();
  if (['true', '1', 'yes', 'on'].includes(v)) return true;
  if (['false', '0', 'no', 'off'].includes(v)) return false;
  ctx.addIssue({ code: 'custom', message: `expected true or false, got ${quoted(raw)}` });
  return z.NEVER;
});

const duration = z.string().transform((raw, ctx) => {
  const ms = parseDurationMs(raw);
  if (ms === undefined) {
    ctx.addIssue({ code: 'custom', message: `expected a duration such as 30s or 500ms, got ${quoted(raw)}` });
    return z.NEVER;
  }
  return ms;
});

const keepJobs = z.string().transform((raw, ctx) => {
  const [age, count, extra] = raw.split(',').map((p) => p.trim());
  const ageMs = age === undefined ? undefined : parseDurationMs(age);
  const n = count !== undefined && /^\d{1,9}$/.test(count) ? Number(count) : Number.NaN;
  if (extra !== undefined || ageMs === undefined || ageMs < 1_000 || !Number.isInteger(n)) {
    ctx.addIssue({ code: 'custom', message: `expected <age>,<count> such as 1h,10000 (age at least 1s), got ${quoted(raw)}` });
    return z.NEVER;
  }
  return Object.freeze({ age: Math.round(ageMs / 1_000), count: n });
});

const envSchema = z.object({
  HOOKPOST_REDIS_URL: z
    .string()
    .default('redis://127.0.0.1:6379')
    .transform((raw, ctx) => {
      try {
        return { url: raw.trim(), target: parseRedisUrl(raw) };
      } catch (err) {
        // The URL itself is not repeated: it may hold a password.
        ctx.addIssue({ code: 'custom', message: err instanceof RedisUrlError ? err.message : 'not a Redis URL' });
        return z.NEVER;
      }
    }),
  HOOKPOST_PREFIX: z
    .string()
    .default('hookpost')
    .refine((raw) => /^[A-Za-z0-9_.{}-]{1,64}$/.test(raw), 'expected 1-64 characters of A-Z a-z 0-9 _ . - { }'),
  HOOKPOST_EVENTS_QUEUE: z
    .string()
    .default('events')
    .refine((raw) => /^[A-Za-z0-9_.-]{1,64}$/.test(raw), 'expected 1-64 characters of A-Z a-z 0-9 _ . -'),
  HOOKPOST_SHARDS: integer(1, MAX_SHARDS).default(1),
  HOOKPOST_SHARDS_CONSUMED: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return undefined;
      const parts = raw.split(',').map((p) => p.trim());
      if (parts.some((p) => !/^\d{1,3}$/.test(p))) {
        ctx.addIssue({ code: 'custom', message: `expected shard numbers such as 0,2, got ${quoted(raw)}` });
        return z.NEVER;
      }
      return [...new Set(parts.map(Number))].sort((a, b) => a - b);
    }),
  HOOKPOST_API_HOST: z.string().optional(),
  HOOKPOST_API_PORT: integer(1, 65535).default(8080),
  HOOKPOST_METRICS_PORT: integer(1, 65535).default(9464),
  HOOKPOST_API_TOKENS: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return undefined;
      const entries = tokenEntriesOfVariable(raw);
      if (entries.length === 0) {
        ctx.addIssue({ code: 'custom', message: 'expected at least one token' });
        return z.NEVER;
      }
      // Messages name the position only: a token never appears in an error or a log.
      const parsed = parseTokenEntries(entries, (i) => `token #${i + 1}`);
      if (typeof parsed[0] === 'string') {
        for (const message of parsed as string[]) ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return parsed as ApiToken[];
    }),
  HOOKPOST_API_TOKENS_FILE: z
    .string()
    .optional()
    .transform((path, ctx) => {
      if (path === undefined) return undefined;
      const read = tokenEntriesOfFile(path);
      if (typeof read === 'string' || read.entries.length === 0) {
        ctx.addIssue({ code: 'custom', message: typeof read === 'string' ? read : `${path} holds no token` });
        return z.NEVER;
      }
      const parsed = parseTokenEntries(read.entries, (i) => `the token on line ${read.lines[i]}`);
      if (typeof parsed[0] === 'string') {
        for (const message of parsed as string[]) ctx.addIssue({ code: 'custom', message });
        return z.NEVER;
      }
      return parsed as ApiToken[];
    }),
  HOOKPOST_ENCRYPTION_KEY_FILE: z.string().optional(),
  // One path, or several separated by commas while keys rotate (the first signs).
  HOOKPOST_SIGNING_KEY_FILE: z
    .string()
    .optional()
    .transform((raw, ctx) => {
      if (raw === undefined) return undefined;
      const paths = raw.split(',').map((p) => p.trim());
      if (paths.some((p) => p === '')) {
        ctx.addIssue({ code: 'custom', message: `expected one path, or several separated by commas, got ${quoted(raw)}` });
        return z.NEVER;
      }
      const repeated = paths.find((p, i) => paths.indexOf(p) !== i);
      if (repeated !== undefined) {
        ctx.addIssue({ code: 'custom', message: `${repeated} is listed twice` });
        return z.NEVER;
      }
      return Object.freeze(paths);
    }),
  HOOKPOST_ALLOW_HTTP: boolean.optional(),
  HOOKPOST_ALLOW_PRIVATE_TARGETS: boolean.optional(),
  HOOKPOST_CONCURRENCY: integer(1, 10_000).default(DEFAULT_CONCURRENCY),
  HOOKPOST_DELIVERY_CONCURRENCY: integer(1, 10_000).default(64),
  HOOKPOST_INLINE_BUDGET: duration
    .refine((ms) => ms >= 10 && ms <= 30_000, 'expected a duration from 10ms to 30s')
    .default(500),
  HOOKPOST_MAX_DETACHED_ATTEMPTS: integer(0, 100_000).default(2_000),
  HOOKPOST_MAX_PER_DESTINATION: integer(1, 10_000).default(256),
  HOOKPOST_SLOW_MAX_PER_DESTINATION: integer(1, 10_000).default(32),
  HOOKPOST_EVENTS_KEEP_COMPLETED: keepJobs.default({ age: 3_600, count: 10_000 }),
  HOOKPOST_EVENTS_KEEP_FAILED: keepJobs.default({ age: 7 * 24 * 3_600, count: 10_000 }),
  HOOKPOST_RETRY_SCHEDULE: z
    .string()
    .default(DEFAULT_RETRY_SCHEDULE)
    .transform((raw, ctx) => {
      const parsed = parseRetrySchedule(raw);
      if (typeof parsed === 'string') {
        ctx.addIssue({ code: 'custom', message: `${parsed}; expected e.g. ${DEFAULT_RETRY_SCHEDULE}` });
        return z.NEVER;
      }
      return parsed;
    }),
  HOOKPOST_LOG_LEVEL: z
    .string()
    .default('info')
    .transform((raw, ctx) => {
      const level = raw.trim().toLowerCase();
      if (!(LOG_LEVELS as readonly string[]).includes(level)) {
        ctx.addIssue({ code: 'custom', message: `expected one of ${LOG_LEVELS.join(', ')}, got ${quoted(raw)}` });
        return z.NEVER;
      }
      return level as (typeof LOG_LEVELS)[number];
    }),
  HOOKPOST_SHUTDOWN_TIMEOUT: duration.default(35_000),
  HOOKPOST_QUEUE_CHECK_INTERVAL: duration
    .refine((ms) => ms >= 1_000 && ms <= 3_600_000, 'expected a duration from 1s to 1h')
    .default(30_000),
  HOOKPOST_LOCK_DURATION: duration
    .refine((ms) => ms >= 5_000 && ms <= 600_000, 'expected a duration from 5s to 10m')
    .default(30_000),
  HOOKPOST_DATA_DIR: z.string().default('.hookpost'),
  HOOKPOST_ATTEMPT_LOG_PER_WEBHOOK: integer(0, 1_000_000).default(1_000),
  HOOKPOST_ATTEMPT_LOG_MAX_AGE: duration
    .refine((ms) => ms >= 60_000 && ms <= 90 * 24 * 3_600_000, 'expected a duration from 1m to 2160h (90 days)')
    .default(7 * 24 * 3_600_000),
});

/** Every variable loadConfig reads; the Helm chart and docs are checked against this list. */
export const CONFIG_VARIABLES = Object.freeze(Object.keys(envSchema.shape)) as readonly string[];

/**
 * Parses the environment into a frozen Config.
 * Empty values count as unset. Throws HookpostError(CONFIG_INVALID) listing every problem.
 */
export function loadConfig(env: Record<string, string | undefined>, options: LoadConfigOptions = {}): Config {
  const role = options.role ?? 'api';
  const local = role === 'local';
  const input: Record<string, string> = {};
  for (const name of CONFIG_VARIABLES) {
    const value = env[name];
    if (value !== undefined && value.trim() !== '') input[name] = value;
  }
  const parsed = envSchema.safeParse(input);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      const variable = String(issue.path[0] ?? '(environment)');
      problems.push(`${variable}: ${issue.message}`);
    }
  }
  if (parsed.success) {
    const { HOOKPOST_REDIS_URL: redis, HOOKPOST_PREFIX: prefix, HOOKPOST_SHARDS: shards, HOOKPOST_SHARDS_CONSUMED: consumed } = parsed.data;
    const clusterProblem = redis.target.kind === 'cluster' ? clusterPrefixProblem(prefix) : undefined;
    if (clusterProblem) problems.push(`HOOKPOST_PREFIX: ${clusterProblem} (HOOKPOST_REDIS_URL names a cluster)`);
    const outside = consumed?.filter((shard) => shard >= shards) ?? [];
    if (outside.length > 0) {
      problems.push(`HOOKPOST_SHARDS_CONSUMED: shard ${outside.join(', ')} does not exist with HOOKPOST_SHARDS=${shards} (shards are 0-${shards - 1})`);
    }
  }
  if (parsed.success && !local) {
    if (role === 'api' && parsed.data.HOOKPOST_API_TOKENS === undefined && parsed.data.HOOKPOST_API_TOKENS_FILE === undefined) {
      problems.push(
        'HOOKPOST_API_TOKENS: required, or HOOKPOST_API_TOKENS_FILE (comma-separated API tokens of at least 16 characters)',
      );
    }
    if (parsed.data.HOOKPOST_ENCRYPTION_KEY_FILE === undefined) {
      problems.push(
        'HOOKPOST_ENCRYPTION_KEY_FILE: required (a file with a key of 32 random bytes in base64, ' +
          'e.g. `openssl rand -base64 32`; it encrypts protected header values and webhook secrets in Redis)',
      );
    }
    if (parsed.data.HOOKPOST_SIGNING_KEY_FILE === undefined) {
      problems.push('HOOKPOST_SIGNING_KEY_FILE: required (path of a PEM PKCS#8 Ed25519 private key; several separated by commas, the first signs)');
    }
  }
  if (parsed.success && local) {
    const host = parsed.data.HOOKPOST_API_HOST;
    const tokensSet = parsed.data.HOOKPOST_API_TOKENS !== undefined || parsed.data.HOOKPOST_API_TOKENS_FILE !== undefined;
    if (host !== undefined && !isLoopbackAddress(host) && !tokensSet) {
      problems.push(
        `HOOKPOST_API_HOST: ${quoted(host)} is reachable from other machines, and without HOOKPOST_API_TOKENS local mode ` +
          `accepts the published token ${LOCAL_DEV_TOKEN} and sends to private and loopback addresses: ` +
          'set HOOKPOST_API_TOKENS (or HOOKPOST_API_TOKENS_FILE) too, or leave HOOKPOST_API_HOST unset (127.0.0.1)',
      );
    }
  }
  if (parsed.success) {
    const all = [...(parsed.data.HOOKPOST_API_TOKENS ?? []), ...(parsed.data.HOOKPOST_API_TOKENS_FILE ?? [])];
    if (all.some((t, i) => all.findIndex((o) => o.reveal() === t.reveal()) !== i)) {
      problems.push('HOOKPOST_API_TOKENS_FILE: a token is also in HOOKPOST_API_TOKENS; configure each token once');
    }
  }
  if (!parsed.success || problems.length > 0) {
    throw new HookpostError(
      ErrorCode.CONFIG_INVALID,
      `invalid configuration:\n  ${problems.join('\n  ')}`,
    );
  }
  const e = parsed.data;
  return Object.freeze({
    redisUrl: e.HOOKPOST_REDIS_URL.url,
    redis: e.HOOKPOST_REDIS_URL.target,
    redisUrlSet: input.HOOKPOST_REDIS_URL !== undefined,
    prefix: e.HOOKPOST_PREFIX,
    eventsQueue: e.HOOKPOST_EVENTS_QUEUE,
    shards: e.HOOKPOST_SHARDS,
    shardsConsumed: Object.freeze(e.HOOKPOST_SHARDS_CONSUMED ?? Array.from({ length: e.HOOKPOST_SHARDS }, (_, i) => i)),
    queueCheckIntervalMs: e.HOOKPOST_QUEUE_CHECK_INTERVAL,
    // Local mode allows private targets with a published token: it must not listen on the network unasked.
    apiHost: e.HOOKPOST_API_HOST ?? (local ? '127.0.0.1' : '0.0.0.0'),
    apiPort: e.HOOKPOST_API_PORT,
    metricsPort: e.HOOKPOST_METRICS_PORT,
    apiTokens: Object.freeze(tokensOf(e.HOOKPOST_API_TOKENS, e.HOOKPOST_API_TOKENS_FILE, local)),
    encryptionKeyFile: e.HOOKPOST_ENCRYPTION_KEY_FILE,
    signingKeyFile: e.HOOKPOST_SIGNING_KEY_FILE?.[0],
    signingKeyFiles: e.HOOKPOST_SIGNING_KEY_FILE ?? Object.freeze([]),
    allowHttp: e.HOOKPOST_ALLOW_HTTP ?? local,
    allowPrivateTargets: e.HOOKPOST_ALLOW_PRIVATE_TARGETS ?? local,
    concurrency: e.HOOKPOST_CONCURRENCY,
    deliveryConcurrency: e.HOOKPOST_DELIVERY_CONCURRENCY,
    inlineBudgetMs: e.HOOKPOST_INLINE_BUDGET,
    maxDetachedAttempts: e.HOOKPOST_MAX_DETACHED_ATTEMPTS,
    maxPerDestination: e.HOOKPOST_MAX_PER_DESTINATION,
    slowMaxPerDestination: e.HOOKPOST_SLOW_MAX_PER_DESTINATION,
    eventsKeepCompleted: e.HOOKPOST_EVENTS_KEEP_COMPLETED,
    eventsKeepFailed: e.HOOKPOST_EVENTS_KEEP_FAILED,
    retryScheduleMs: Object.freeze(e.HOOKPOST_RETRY_SCHEDULE),
    logLevel: e.HOOKPOST_LOG_LEVEL,
    shutdownTimeoutMs: e.HOOKPOST_SHUTDOWN_TIMEOUT,
    lockDurationMs: e.HOOKPOST_LOCK_DURATION,
    dataDir: e.HOOKPOST_DATA_DIR,
    attemptLogPerWebhook: e.HOOKPOST_ATTEMPT_LOG_PER_WEBHOOK,
    attemptLogMaxAgeMs: e.HOOKPOST_ATTEMPT_LOG_MAX_AGE,
    localMode: local,
  });
}

/**
 * True when `host` (an interface to listen on) is reachable from this machine only: `localhost`,
 * 127.0.0.0/8 or ::1. `0.0.0.0`, `::` and every other address are reachable from the network.
 */
export function isLoopbackAddress(host: string): boolean {
  const h = host.trim().replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** The configured tokens, or local mode's dev token (every project) when none is. */
function tokensOf(fromVariable: ApiToken[] | undefined, fromFile: ApiToken[] | undefined, local: boolean): ApiToken[] {
  const tokens = [...(fromVariable ?? []), ...(fromFile ?? [])];
  return tokens.length === 0 && local ? [apiToken(LOCAL_DEV_TOKEN)] : tokens;
}
