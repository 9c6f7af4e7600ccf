/**
 * `hookpost <command>`: publish events, follow and inspect deliveries, re-deliver, re-drive dead
 * letters, send webhook tests. Arguments are parsed with node:util parseArgs; the environment is
 * passed in by the entrypoint (main.ts). Exit codes: 0 ok, 1 failure, 2 usage.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { LOCAL_DEV_TOKEN } from '../../config/index.js';
import type { SecretsCipher, Webhook } from '../registry/index.js';
import { type ApiClient, createApiClient } from './client.js';
import { CliError, usageError } from './errors.js';
import { jsonLine, printable } from './terminal.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** True when stderr is a terminal (progress lines rewrite themselves). */
  readonly errIsTty: boolean;
  /**
   * Resolves with the signal when the user asks to stop (Ctrl-C, SIGTERM): `tail` then ends
   * cleanly (exit 0), every other command at once (130 for SIGINT, 143 for SIGTERM).
   */
  readonly stopped: Promise<string | undefined>;
}

type Env = Record<string, string | undefined>;
type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

interface Command {
  /** True for commands that end by themselves on Ctrl-C (`tail`); the others are cut short. */
  readonly endsOnStop?: boolean;
  readonly summary: string;
  readonly usage: string;
  readonly help: string;
  readonly options: Options;
  run(ctx: Context): Promise<number>;
}

interface Context {
  readonly values: Values;
  readonly positionals: readonly string[];
  readonly env: Env;
  /** Output: every line made printable (human output) or terminal-safe JSON (--json). */
  readonly io: CliIo;
  /** The project (--project, HOOKPOST_PROJECT, demo), checked against the naming rule. */
  readonly project: string;
  /** How long connecting to Redis or the API may take before it counts as unreachable. */
  readonly connectTimeoutMs: number;
  /** A progress line that rewrites itself on a terminal (our own escape sequence, not cleaned). */
  progress(line: string): void;
  api(): ApiClient;
}

const GLOBAL_OPTIONS: Options = {
  url: { type: 'string' },
  token: { type: 'string' },
  project: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  'connect-timeout': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
};

const DEFAULT_CONNECT_TIMEOUT_S = 5;
/** How long an API answer may take once connected (a re-drive batch, a loaded machine). */
const ANSWER_TIMEOUT_MS = 30_000;

const GLOBAL_HELP = `Connection (every command but publish):
  --url <url>          the API (HOOKPOST_URL; default http://127.0.0.1:8080)
  --token <token>      API token; prefer HOOKPOST_TOKEN (an option is visible in ps)
                       (default the local-mode token ${LOCAL_DEV_TOKEN})
  -p, --project <name> project (HOOKPOST_PROJECT; default demo)
  --connect-timeout <s> seconds to reach the API or Redis before giving up
                       (HOOKPOST_CONNECT_TIMEOUT; default ${DEFAULT_CONNECT_TIMEOUT_S})
  --json               machine-readable output: one JSON object per line
  -h, --help           this help`;

const str = (v: Values, name: string): string | undefined => (typeof v[name] === 'string' ? (v[name] as string) : undefined);

function when(iso: string | null): string {
  return iso === null ? '-' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

interface DeliveryItem {
  delivery_id: string;
  webhook_id: string;
  webhook_name: string | null;
  event: string;
  request_id: string;
  outcome: string;
  attempt_count: number;
  last_activity_at: string;
  http_status: number | null;
  error_code: string | null;
  error_message: string | null;
  next_attempt_at: string | null;
}

interface AttemptItem {
  attempt: number;
  started_at: string;
  duration_ms: number;
  outcome: string;
  http_status: number | null;
  error_message: string | null;
  response_excerpt: string | null;
  next_attempt_at: string | null;
}

/** One readable line per delivery update (the `tail` and `deliveries` format). */
export function formatDelivery(d: DeliveryItem): string {
  const detail =
    d.outcome === 'success'
      ? `HTTP ${d.http_status ?? '-'}`
      : [d.error_message ?? d.error_code ?? '', d.next_attempt_at ? `next attempt ${when(d.next_attempt_at)}` : ''].filter(Boolean).join(', ');
  return printable(
    [
      when(d.last_activity_at),
      d.outcome.padEnd(8),
      (d.webhook_name ?? d.webhook_id).padEnd(16),
      d.event,
      `request ${d.request_id}`,
      `attempt ${d.attempt_count}`,
      detail,
      d.delivery_id,
    ].join('  '),
  );
}

function formatAttempt(a: AttemptItem): string {
  const status = a.http_status === null ? '' : `HTTP ${a.http_status}`;
  const parts = [`#${a.attempt}`, when(a.started_at), a.outcome.padEnd(8), `${Math.round(a.duration_ms)} ms`, status, a.error_message ?? ''];
  if (a.next_attempt_at) parts.push(`next attempt ${when(a.next_attempt_at)}`);
  return printable(parts.filter(Boolean).join('  '));
}

const sleep = (ms: number, stopped: Promise<unknown>) =>
  Promise.race([new Promise<void>((r) => setTimeout(r, ms)), stopped]);

function deliveryFilters(v: Values): URLSearchParams {
  const q = new URLSearchParams();
  for (const [option, param] of [
    ['webhook', 'webhook'],
    ['outcome', 'outcome'],
    ['event', 'event'],
    ['request-id', 'request_id'],
    ['since', 'since'],
  ] as const) {
    const value = str(v, option);
    if (value !== undefined) q.set(param, value);
  }
  return q;
}

const FILTER_OPTIONS: Options = {
  webhook: { type: 'string' },
  outcome: { type: 'string' },
  event: { type: 'string' },
  'request-id': { type: 'string' },
  since: { type: 'string' },
};
const FILTER_HELP = `  --webhook <name>     only this webhook's deliveries
  --outcome <outcome>  success, failed, retrying, refused or skipped (of the latest attempt)
  --event <event>      e.g. deployment_request_completed
  --request-id <id>    the producer's request id
  --since <time>       ISO-8601, e.g. 2026-01-05T10:00:00Z`;

/** The naming rule of projects (the API's `project_name`): a name that breaks it can have no webhook. */
async function checkProject(name: string, where: string): Promise<string> {
  // Loaded when used: `hookpost --help` starts without the API's and the queue's modules.
  const { nameSchema } = await import('../api/primitives.js');
  const result = nameSchema.safeParse(name);
  if (!result.success) throw usageError(`${where}: ${JSON.stringify(printable(name))} ${result.error.issues[0]?.message ?? 'is not a project name'}`);
  return name;
}

/** Resolves with `work`, or rejects with `message` after `ms` (the work is left behind: the process ends). */
function within<T>(ms: number, work: Promise<T>, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new CliError(message)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Never reveals a secret: matching reads which webhooks exist, not their protected values. */
const UNREAD_SECRETS: SecretsCipher = {
  currentKeyId: 'none',
  encrypt: () => {
    throw new Error('the CLI writes no webhook');
  },
  decrypt: () => '',
  isCurrent: () => false,
};

/** The enabled webhooks an event matches now, as the worker's matcher finds them (object, then project-wide). */
async function matchingWebhooks(redisUrl: string, prefix: string, event: unknown): Promise<{ names: string[]; filter: string } | undefined> {
  const [{ firedEvents, validateEvent }, { selectMatches }, { createKeys, createRedis, parseRedisUrl }, { createRegistry }] = await Promise.all([
    import('../events/index.js'),
    import('../matching/select.js'),
    import('../redis/index.js'),
    import('../registry/index.js'),
  ]);
  const checked = validateEvent(event);
  if (!checked.ok) return undefined;
  const e = checked.event;
  const fired = firedEvents(e);
  const redis = createRedis(parseRedisUrl(redisUrl), 'commands');
  redis.on('error', () => {});
  try {
    const registry = createRegistry({ redis, keys: createKeys(prefix), cipher: UNREAD_SECRETS });
    const candidates: Webhook[] = [
      ...(await registry.findCandidates(e.project, e.object_type, e.object_name, fired)),
      ...(await registry.findProjectCandidates(e.project, fired)),
    ];
    const names = [...new Set(selectMatches(candidates, e, fired).map((m) => m.webhook.name))];
    const filter =
      `project ${e.project}, ${e.object_type} ${e.object_name}, version ${e.version}` +
      `${e.is_default_version === true ? ' (the default version)' : ''}, events ${fired.join(' or ')}`;
    return { names, filter };
  } finally {
    redis.disconnect();
  }
}

function parseJsonOption(name: string, raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    throw usageError(`--${name}: must be JSON`);
  }
}

const COMMANDS: Record<string, Command> = {
  publish: {
    summary: 'publish a producer event (from flags or JSON)',
    usage: 'hookpost publish --object-name <name> --version <version> [options]\n       hookpost publish --event \'{"project": ...}\' | --event-file <path|->',
    help: `Publishes one request event onto the events queue, like a producer (createProducer).
  --object-name <name>   deployment or pipeline name (required without --event)
  --version <version>    version that served the request (required without --event)
  --object-type <type>   deployment (default) or pipeline
  --status <status>      processing, completed (default) or failed
  --request-id <id>      default: a fresh cli-<random> id (a re-used one is a duplicate for an hour)
  --result <json>        the request's result, JSON
  --error-message <text> why the request failed
  --default-version      the version is the object's default version
  --event <json>         the whole event as JSON instead of the flags above
  --event-file <path>    the whole event from a file, or - for stdin
  -p, --project <name>   project (HOOKPOST_PROJECT; default demo)
Redis: HOOKPOST_REDIS_URL (default: the embedded Redis of \`npm start\`, found through
HOOKPOST_DATA_DIR/redis/port, else redis://127.0.0.1:6379), HOOKPOST_PREFIX (hookpost),
HOOKPOST_EVENTS_QUEUE (events).`,
    options: {
      'object-type': { type: 'string' },
      'object-name': { type: 'string' },
      version: { type: 'string' },
      status: { type: 'string' },
      'request-id': { type: 'string' },
      result: { type: 'string' },
      'error-message': { type: 'string' },
      'default-version': { type: 'boolean' },
      event: { type: 'string' },
      'event-file': { type: 'string' },
    },
    async run({ values: v, env, io, project, connectTimeoutMs }) {
      let event: unknown;
      const raw = str(v, 'event') ?? (str(v, 'event-file') === undefined ? undefined : readFileSync(str(v, 'event-file') === '-' ? 0 : (str(v, 'event-file') as string), 'utf8'));
      if (raw !== undefined) {
        const option = str(v, 'event') === undefined ? 'event-file' : 'event';
        event = parseJsonOption(option, raw);
        const named = (event as { project?: unknown } | null)?.project;
        if (typeof named === 'string') await checkProject(named, `--${option}: project`);
      } else {
        const objectName = str(v, 'object-name');
        const version = str(v, 'version');
        if (objectName === undefined || version === undefined) throw usageError('publish needs --object-name and --version (or --event)');
        event = {
          project,
          object_type: str(v, 'object-type') ?? 'deployment',
          object_name: objectName,
          version,
          is_default_version: v['default-version'] === true,
          request_id: str(v, 'request-id') ?? `cli-${randomBytes(4).toString('hex')}`,
          status: str(v, 'status') ?? 'completed',
          ...(str(v, 'result') === undefined ? {} : { result: parseJsonOption('result', str(v, 'result') as string) }),
          ...(str(v, 'error-message') === undefined ? {} : { error_message: str(v, 'error-message') }),
        };
      }
      const [{ createProducer, validateEvent }, { clientRedis }, { probeRedis }, { maskRedisUrl }] = await Promise.all([
        import('../events/index.js'),
        import('../lifecycle/embedded-redis.js'),
        import('../lifecycle/redis-probe.js'),
        import('../redis/index.js'),
      ]);
      const checked = validateEvent(event);
      if (!checked.ok) throw new CliError(`not published: ${printable(checked.error)}`);
      const shards = Number(env['HOOKPOST_SHARDS']?.trim() || 1);
      if (!Number.isInteger(shards) || shards < 1) throw usageError('HOOKPOST_SHARDS: expected a whole number of shards, 1 or more');
      const prefix = env['HOOKPOST_PREFIX']?.trim() || 'hookpost';
      const redis = clientRedis(env);
      const where = `${maskRedisUrl(redis.url)} (${redis.why})`;
      // One attempt, bounded: a Redis that is not there (a stale port file) is an answer in seconds.
      const seconds = connectTimeoutMs / 1000;
      const problem = await within(
        connectTimeoutMs + 1_000,
        probeRedis(redis.url, connectTimeoutMs),
        `not published: no answer from Redis at ${where} within ${seconds} s`,
      );
      if (problem) throw new CliError(`not published: ${problem.message}; that URL is ${redis.why}`);
      const producer = createProducer({ redis: redis.url, prefix, queueName: env['HOOKPOST_EVENTS_QUEUE']?.trim() || 'events', shards });
      try {
        const { jobId, duplicate } = await within(ANSWER_TIMEOUT_MS, producer.publish(checked.event), `not published: Redis at ${where} stopped answering`);
        const matched = await within(ANSWER_TIMEOUT_MS, matchingWebhooks(redis.url, prefix, checked.event), `published ${jobId}, but Redis at ${where} stopped answering`);
        if (v['json']) {
          io.out(jsonLine({ job_id: jobId, duplicate, matched: matched?.names.length ?? null, webhooks: matched?.names ?? null }));
          return 0;
        }
        io.out(duplicate ? `duplicate ${jobId} (published before and still retained: nothing sent)` : `published ${jobId}`);
        if (matched === undefined || duplicate) return 0;
        const count = matched.names.length;
        io.out(
          count === 0
            ? `0 webhooks match (${matched.filter}): nothing will be sent; check the webhook's object_name, version, event and that it is enabled`
            : `${count} ${count === 1 ? 'webhook matches' : 'webhooks match'}: ${matched.names.join(', ')}`,
        );
        return 0;
      } catch (err) {
        if (err instanceof CliError) throw err;
        throw new CliError(`not published: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        void producer.close().catch(() => undefined);
      }
    },
  },

  tail: {
    endsOnStop: true,
    summary: 'follow deliveries as they happen, one line per attempt',
    usage: 'hookpost tail [--webhook <name>] [--outcome <outcome>] [--last <n>] [--json]',
    help: `Prints the last deliveries, then every new attempt as it is recorded, until Ctrl-C.
It polls GET /deliveries with since=<last activity seen>.
${FILTER_HELP}
  --last <n>           deliveries shown at the start (default 10, 0 for none)
  --interval <ms>      polling interval (default 1000)`,
    options: { ...FILTER_OPTIONS, last: { type: 'string' }, interval: { type: 'string' } },
    async run({ values: v, io, api }) {
      const client = api();
      const last = Number(str(v, 'last') ?? 10);
      const intervalMs = Number(str(v, 'interval') ?? 1000);
      if (!Number.isInteger(last) || last < 0 || last > 500) throw usageError('--last: must be an integer from 0 to 500');
      if (!Number.isInteger(intervalMs) || intervalMs < 100) throw usageError('--interval: must be at least 100 (ms)');
      const seen = new Map<string, number>();
      const print = (items: readonly DeliveryItem[]) => {
        for (const d of [...items].reverse()) {
          if (seen.get(d.delivery_id) === d.attempt_count) continue;
          seen.set(d.delivery_id, d.attempt_count);
          io.out(v['json'] ? jsonLine(d) : formatDelivery(d));
        }
        if (seen.size > 50_000) seen.clear();
      };
      const filters = deliveryFilters(v);
      let since: string | undefined = str(v, 'since');
      if (since === undefined) {
        const q = new URLSearchParams(filters);
        q.set('limit', String(Math.max(last, 1)));
        const page = await client.call<{ items: DeliveryItem[] }>('GET', `/deliveries?${q}`);
        since = page.items[0]?.last_activity_at ?? new Date().toISOString();
        print(last === 0 ? [] : page.items.slice(0, last));
        // Mark what was not shown as seen, so it is not printed as new.
        for (const d of page.items) seen.set(d.delivery_id, d.attempt_count);
      }
      let stopped = false;
      void io.stopped.then(() => {
        stopped = true;
      });
      while (!stopped) {
        await sleep(intervalMs, io.stopped);
        if (stopped) break;
        const collected: DeliveryItem[] = [];
        let cursor: string | null = null;
        do {
          const q = new URLSearchParams(filters);
          q.set('since', since);
          q.set('limit', '500');
          if (cursor) q.set('cursor', cursor);
          const page: { items: DeliveryItem[]; next_cursor: string | null } = await client.call('GET', `/deliveries?${q}`);
          collected.push(...page.items);
          cursor = page.next_cursor;
        } while (cursor !== null && collected.length < 5_000);
        if (collected[0]) since = collected[0].last_activity_at;
        print(collected);
      }
      return 0;
    },
  },

  deliveries: {
    summary: 'list deliveries, or show one with its attempts',
    usage: 'hookpost deliveries [filters] [--limit <n>] [--cursor <c>] [-q]\n       hookpost deliveries <delivery-id>',
    help: `Lists deliveries newest first (from the attempt log), or shows one delivery's attempts.
${FILTER_HELP}
  --limit <n>          deliveries per page, 1-500 (default 20)
  --cursor <cursor>    the next page (printed after a full page)
  -q, --quiet          delivery ids only, one per line (e.g. ID=$(hookpost deliveries -q --limit 1))`,
    options: { ...FILTER_OPTIONS, limit: { type: 'string' }, cursor: { type: 'string' }, quiet: { type: 'boolean', short: 'q' } },
    async run({ values: v, positionals, io, api }) {
      const client = api();
      const [id] = positionals;
      if (id !== undefined) {
        const d = await client.call<DeliveryItem & { attempts: AttemptItem[]; dead_letter: boolean; event_kept: boolean }>(
          'GET',
          `/deliveries/${encodeURIComponent(id)}`,
        );
        if (v['json']) {
          io.out(jsonLine(d));
          return 0;
        }
        io.out(formatDelivery(d));
        io.out(`  ${d.dead_letter ? 'dead letter; ' : ''}${d.event_kept ? `can be re-delivered: hookpost redeliver ${d.delivery_id}` : 'event no longer kept'}`);
        for (const a of d.attempts) {
          io.out(`  ${formatAttempt(a)}`);
          if (a.response_excerpt) io.out(`      response: ${a.response_excerpt.replace(/\s+/g, ' ').slice(0, 200)}`);
        }
        return 0;
      }
      const q = deliveryFilters(v);
      q.set('limit', str(v, 'limit') ?? '20');
      if (str(v, 'cursor')) q.set('cursor', str(v, 'cursor') as string);
      const page = await client.call<{ items: DeliveryItem[]; next_cursor: string | null }>('GET', `/deliveries?${q}`);
      if (v['quiet']) {
        for (const d of page.items) io.out(printable(d.delivery_id));
        return 0;
      }
      for (const d of page.items) io.out(v['json'] ? jsonLine(d) : formatDelivery(d));
      if (!v['json'] && page.items.length === 0) io.out('no deliveries');
      if (page.next_cursor !== null && !v['json']) io.out(`more: hookpost deliveries --cursor ${printable(page.next_cursor)}`);
      return 0;
    },
  },

  redeliver: {
    summary: 'send a delivery again (same delivery id, fresh attempts)',
    usage: 'hookpost redeliver <delivery-id>...',
    help: 'Queues each delivery again: any delivery whose event is still kept, dead or not.',
    options: {},
    async run({ positionals, values: v, io, api }) {
      if (positionals.length === 0) throw usageError('redeliver needs at least one delivery id');
      const client = api();
      let failed = 0;
      for (const id of positionals) {
        try {
          await client.call('POST', `/deliveries/${encodeURIComponent(id)}/redeliver`);
          io.out(v['json'] ? jsonLine({ delivery_id: id, status: 'queued' }) : `queued ${printable(id)}`);
        } catch (err) {
          failed++;
          io.err(`hookpost: ${(err as Error).message}`);
        }
      }
      return failed === 0 ? 0 : 1;
    },
  },

  'dead-letters': {
    summary: 'list dead letters, or re-drive them in bulk',
    usage: 'hookpost dead-letters [--limit <n>]\n       hookpost dead-letters redrive [--webhook <name>] [--since <time>]',
    help: `Lists the dead letters (newest first), or re-drives those that match, with a progress line.
  --limit <n>          dead letters listed (default 50)
  --webhook <name>     redrive: only this webhook's
  --since <time>       redrive: only those that failed at or after this ISO-8601 time`,
    options: { limit: { type: 'string' }, webhook: { type: 'string' }, since: { type: 'string' } },
    async run({ positionals, values: v, io, api, progress: showProgress }) {
      const client = api();
      const [action, ...extra] = positionals;
      if (action === undefined) {
        const letters = await client.call<
          Array<{ delivery_id: string; webhook_id: string; event: string; request_id: string; attempts: number; error_message: string; failed_at: string }>
        >('GET', `/dead-letters?limit=${encodeURIComponent(str(v, 'limit') ?? '50')}`);
        for (const l of letters) {
          io.out(
            v['json']
              ? jsonLine(l)
              : printable([when(l.failed_at), l.event, `request ${l.request_id}`, `${l.attempts} attempt(s)`, l.error_message, l.delivery_id].join('  ')),
          );
        }
        if (!v['json'] && letters.length === 0) io.out('no dead letters');
        return 0;
      }
      if (action !== 'redrive' || extra.length > 0) throw usageError(`dead-letters: unknown action "${positionals.join(' ')}" (expected redrive)`);
      const body = { ...(str(v, 'webhook') ? { webhook: str(v, 'webhook') } : {}), ...(str(v, 'since') ? { since: str(v, 'since') } : {}), limit: 100 };
      let total = 0;
      for (;;) {
        const r = await client.call<{ queued: number; remaining: number }>('POST', '/dead-letters/redrive', body);
        total += r.queued;
        showProgress(`re-driving dead letters: ${Number(total)} queued, ${Number(r.remaining)} left`);
        if (r.remaining === 0 || r.queued === 0) break;
      }
      if (io.errIsTty) showProgress('\n');
      io.out(v['json'] ? jsonLine({ queued: total }) : `queued ${total} dead letter(s)`);
      return 0;
    },
  },

  test: {
    summary: 'send a test event to a webhook and wait for the result',
    usage: 'hookpost test <webhook> [--timeout <seconds>]',
    help: `Sends a dummy event of the webhook's kind to its URL now (POST /webhooks-tests) and waits
for it: exit 0 when delivered, 1 when it failed. Protected header values cannot be read back
through the API, so the test is sent without them.
  --timeout <seconds>  how long to wait (default 60)`,
    options: { timeout: { type: 'string' } },
    async run({ positionals, values: v, io, api }) {
      const [name, ...extra] = positionals;
      if (name === undefined || extra.length > 0) throw usageError('test needs exactly one webhook name');
      const waitS = Number(str(v, 'timeout') ?? 60);
      if (!Number.isFinite(waitS) || waitS <= 0) throw usageError('--timeout: must be a positive number of seconds');
      const client = api();
      const w = await client.call<{
        url: string;
        object_type: string;
        object_name: string;
        event: string;
        version: string | null;
        timeout: number;
        headers: Array<{ key: string; value: string | null; protected: boolean }>;
      }>('GET', `/webhooks/${encodeURIComponent(name)}`);
      const kept = w.headers.filter((h) => !h.protected);
      if (kept.length < w.headers.length && !v['json']) io.err(`note: ${w.headers.length - kept.length} protected header(s) are not sent with the test`);
      const test = await client.call<{ id: string }>('POST', '/webhooks-tests', {
        url: w.url,
        object_type: w.object_type,
        object_name: w.object_name,
        event: w.event,
        version: w.version,
        timeout: w.timeout,
        headers: kept.map((h) => ({ key: h.key, value: h.value })),
      });
      const deadline = Date.now() + waitS * 1000;
      while (Date.now() < deadline) {
        const t = await client.call<{ status: string; error_message: string | null }>('GET', `/webhooks-tests/${test.id}`);
        if (t.status !== 'pending') {
          if (v['json']) io.out(jsonLine({ webhook: name, test_id: test.id, ...t }));
          else io.out(printable(t.status === 'completed' ? `test to ${name}: delivered` : `test to ${name}: failed: ${t.error_message}`));
          return t.status === 'completed' ? 0 : 1;
        }
        await sleep(250, io.stopped);
      }
      throw new CliError(printable(`test to ${name}: still pending after ${waitS} s (test id ${test.id})`));
    },
  },
};

function globalUsage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  return [
    'Usage: hookpost <command> [options]',
    '',
    'Commands:',
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    '',
    GLOBAL_HELP,
    '',
    'Run `hookpost <command> --help` for a command. Exit codes: 0 ok, 1 failure, 2 usage.',
  ].join('\n');
}

/** The exit code of a command cut short by a signal (128 + its number, as a shell reports it). */
const SIGNAL_EXIT: Record<string, number> = { SIGINT: 130, SIGTERM: 143 };

/** The output of a command: every line made printable (human output) or terminal-safe (--json). */
function safeIo(io: CliIo): CliIo {
  return { ...io, out: (line) => io.out(printable(line)), err: (line) => io.err(printable(line)) };
}

/** Runs the CLI; resolves with the exit code. */
export async function runCli(argv: readonly string[], env: Env, rawIo: CliIo): Promise<number> {
  const io = safeIo(rawIo);
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? rawIo.err : rawIo.out)(globalUsage());
    return name === undefined ? 2 : 0;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (!command) {
    io.err(`hookpost: unknown command "${name}"`);
    rawIo.err(`\n${globalUsage()}`);
    return 2;
  }
  const commandHelp = `Usage: ${command.usage}\n\n${command.help}${name === 'publish' ? '' : `\n\n${GLOBAL_HELP}`}`;
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: [...rest], options: { ...GLOBAL_OPTIONS, ...command.options }, allowPositionals: true, strict: true }) as {
      values: Values;
      positionals: string[];
    });
  } catch (err) {
    io.err(`hookpost ${name}: ${(err as Error).message}`);
    io.err(`Run \`hookpost ${name} --help\` for its options.`);
    return 2;
  }
  if (values['help']) {
    rawIo.out(commandHelp);
    return 0;
  }
  const fail = (err: CliError) => {
    io.err(`hookpost ${name}: ${err.message}`);
    if (err.exitCode === 2) io.err(`Run \`hookpost ${name} --help\` for its options.`);
    return err.exitCode;
  };
  let ctx: Context;
  const fromEnv = (variable: string) => env[variable]?.trim() || undefined;
  try {
    const timeoutText = str(values, 'connect-timeout') ?? fromEnv('HOOKPOST_CONNECT_TIMEOUT') ?? String(DEFAULT_CONNECT_TIMEOUT_S);
    const timeoutS = Number(timeoutText);
    if (timeoutText === '' || !Number.isFinite(timeoutS) || timeoutS <= 0 || timeoutS > 3_600) {
      throw usageError(`--connect-timeout (or HOOKPOST_CONNECT_TIMEOUT): expected seconds from 0 to 3600, got ${JSON.stringify(printable(timeoutText))}`);
    }
    const projectFlag = str(values, 'project');
    const project = await checkProject(
      projectFlag ?? env['HOOKPOST_PROJECT'] ?? 'demo',
      projectFlag !== undefined ? '--project' : env['HOOKPOST_PROJECT'] !== undefined ? 'HOOKPOST_PROJECT' : 'project',
    );
    const urlFlag = str(values, 'url');
    const url = urlFlag ?? fromEnv('HOOKPOST_URL') ?? 'http://127.0.0.1:8080';
    const urlSource = urlFlag !== undefined ? 'from --url' : fromEnv('HOOKPOST_URL') !== undefined ? 'from HOOKPOST_URL' : 'the default; set HOOKPOST_URL or --url';
    ctx = {
      values,
      positionals,
      env,
      io: values['json'] ? { ...io, out: rawIo.out } : io,
      project,
      connectTimeoutMs: timeoutS * 1000,
      progress: (line) => {
        if (line === '\n') rawIo.err(line);
        else if (rawIo.errIsTty) rawIo.err(`\r${printable(line)}\u001b[K`);
        else io.err(line);
      },
      api: () =>
        createApiClient({
          baseUrl: url,
          urlSource,
          token: str(values, 'token') ?? fromEnv('HOOKPOST_TOKEN') ?? LOCAL_DEV_TOKEN,
          project,
          connectTimeoutMs: timeoutS * 1000,
          answerTimeoutMs: Math.max(ANSWER_TIMEOUT_MS, timeoutS * 1000),
          warn: (line) => io.err(`hookpost ${name}: ${line}`),
        }),
    };
  } catch (err) {
    if (err instanceof CliError) return fail(err);
    throw err;
  }
  // A signal ends every command at once, whatever it waits for: `tail` with 0 (that is how it
  // ends), the others as interrupted.
  const interrupted = rawIo.stopped.then((signal) => {
    if (command.endsOnStop) return 0;
    io.err(`hookpost ${name}: interrupted${signal ? ` (${signal})` : ''}`);
    return SIGNAL_EXIT[signal ?? 'SIGINT'] ?? 130;
  });
  try {
    return await Promise.race([command.run(ctx), interrupted]);
  } catch (err) {
    if (err instanceof CliError) return fail(err);
    io.err(`hookpost ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
