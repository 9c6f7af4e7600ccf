/**
 * `hookpost <command>`: publish events, follow and inspect deliveries, re-deliver, re-drive dead
 * letters, send webhook tests. Arguments are parsed with node:util parseArgs; the environment is
 * passed in by the entrypoint (main.ts). Exit codes: 0 ok, 1 failure, 2 usage.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { LOCAL_DEV_TOKEN } from '../../config/index.js';
import { createProducer } from '../events/index.js';
import { type ApiClient, createApiClient } from './client.js';
import { CliError, usageError } from './errors.js';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  /** True when stderr is a terminal (progress lines rewrite themselves). */
  readonly errIsTty: boolean;
  /** Resolves when the user asks to stop (Ctrl-C); `tail` ends then. */
  readonly stopped: Promise<void>;
}

type Env = Record<string, string | undefined>;
type Options = NonNullable<ParseArgsConfig['options']>;
type Values = Record<string, string | boolean | undefined>;

interface Command {
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
  readonly io: CliIo;
  api(): ApiClient;
}

const GLOBAL_OPTIONS: Options = {
  url: { type: 'string' },
  token: { type: 'string' },
  project: { type: 'string', short: 'p' },
  json: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
};

const GLOBAL_HELP = `Connection (every command but publish):
  --url <url>          the API (HOOKPOST_URL; default http://127.0.0.1:8080)
  --token <token>      API token (HOOKPOST_TOKEN; default the local-mode token ${LOCAL_DEV_TOKEN})
  -p, --project <name> project (HOOKPOST_PROJECT; default demo)
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
  return [
    when(d.last_activity_at),
    d.outcome.padEnd(8),
    (d.webhook_name ?? d.webhook_id).padEnd(16),
    d.event,
    `request ${d.request_id}`,
    `attempt ${d.attempt_count}`,
    detail,
    d.delivery_id,
  ].join('  ');
}

function formatAttempt(a: AttemptItem): string {
  const status = a.http_status === null ? '' : `HTTP ${a.http_status}`;
  const parts = [`#${a.attempt}`, when(a.started_at), a.outcome.padEnd(8), `${Math.round(a.duration_ms)} ms`, status, a.error_message ?? ''];
  if (a.next_attempt_at) parts.push(`next attempt ${when(a.next_attempt_at)}`);
  return parts.filter(Boolean).join('  ');
}

const sleep = (ms: number, stopped: Promise<void>) =>
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

/** The Redis of `publish`: HOOKPOST_REDIS_URL, else the embedded one `npm start` recorded, else the default. */
function publishRedisUrl(env: Env): string {
  if (env['HOOKPOST_REDIS_URL']) return env['HOOKPOST_REDIS_URL'];
  try {
    const port = readFileSync(join(env['HOOKPOST_DATA_DIR'] ?? '.hookpost', 'redis', 'port'), 'utf8').trim();
    return `redis://127.0.0.1:${port}`;
  } catch {
    return 'redis://127.0.0.1:6379';
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
    async run({ values: v, env, io }) {
      let event: unknown;
      const raw = str(v, 'event') ?? (str(v, 'event-file') === undefined ? undefined : readFileSync(str(v, 'event-file') === '-' ? 0 : (str(v, 'event-file') as string), 'utf8'));
      if (raw !== undefined) {
        event = parseJsonOption(str(v, 'event') === undefined ? 'event-file' : 'event', raw);
      } else {
        const objectName = str(v, 'object-name');
        const version = str(v, 'version');
        if (objectName === undefined || version === undefined) throw usageError('publish needs --object-name and --version (or --event)');
        event = {
          project: str(v, 'project') ?? env['HOOKPOST_PROJECT'] ?? 'demo',
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
      const producer = createProducer({
        redis: publishRedisUrl(env),
        prefix: env['HOOKPOST_PREFIX'] || 'hookpost',
        queueName: env['HOOKPOST_EVENTS_QUEUE'] || 'events',
      });
      try {
        const { jobId, duplicate } = await producer.publish(event);
        if (v['json']) io.out(JSON.stringify({ job_id: jobId, duplicate }));
        else io.out(duplicate ? `duplicate ${jobId} (published before and still retained: nothing sent)` : `published ${jobId}`);
        return 0;
      } catch (err) {
        throw new CliError(`not published: ${err instanceof Error ? err.message : String(err)}`);
      } finally {
        await producer.close();
      }
    },
  },

  tail: {
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
          io.out(v['json'] ? JSON.stringify(d) : formatDelivery(d));
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
    usage: 'hookpost deliveries [filters] [--limit <n>] [--cursor <c>]\n       hookpost deliveries <delivery-id>',
    help: `Lists deliveries newest first (from the attempt log), or shows one delivery's attempts.
${FILTER_HELP}
  --limit <n>          deliveries per page, 1-500 (default 20)
  --cursor <cursor>    the next page (printed after a full page)`,
    options: { ...FILTER_OPTIONS, limit: { type: 'string' }, cursor: { type: 'string' } },
    async run({ values: v, positionals, io, api }) {
      const client = api();
      const [id] = positionals;
      if (id !== undefined) {
        const d = await client.call<DeliveryItem & { attempts: AttemptItem[]; dead_letter: boolean; event_kept: boolean }>(
          'GET',
          `/deliveries/${encodeURIComponent(id)}`,
        );
        if (v['json']) {
          io.out(JSON.stringify(d));
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
      for (const d of page.items) io.out(v['json'] ? JSON.stringify(d) : formatDelivery(d));
      if (!v['json'] && page.items.length === 0) io.out('no deliveries');
      if (page.next_cursor !== null && !v['json']) io.out(`more: hookpost deliveries --cursor ${page.next_cursor}`);
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
          io.out(v['json'] ? JSON.stringify({ delivery_id: id, status: 'queued' }) : `queued ${id}`);
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
    async run({ positionals, values: v, io, api }) {
      const client = api();
      const [action, ...extra] = positionals;
      if (action === undefined) {
        const letters = await client.call<
          Array<{ delivery_id: string; webhook_id: string; event: string; request_id: string; attempts: number; error_message: string; failed_at: string }>
        >('GET', `/dead-letters?limit=${encodeURIComponent(str(v, 'limit') ?? '50')}`);
        for (const l of letters) {
          io.out(v['json'] ? JSON.stringify(l) : [when(l.failed_at), l.event, `request ${l.request_id}`, `${l.attempts} attempt(s)`, l.error_message, l.delivery_id].join('  '));
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
        const progress = `re-driving dead letters: ${total} queued, ${r.remaining} left`;
        if (io.errIsTty) io.err(`\r${progress}\u001b[K`);
        else io.err(progress);
        if (r.remaining === 0 || r.queued === 0) break;
      }
      if (io.errIsTty) io.err('\n');
      io.out(v['json'] ? JSON.stringify({ queued: total }) : `queued ${total} dead letter(s)`);
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
          if (v['json']) io.out(JSON.stringify({ webhook: name, test_id: test.id, ...t }));
          else io.out(t.status === 'completed' ? `test to ${name}: delivered` : `test to ${name}: failed: ${t.error_message}`);
          return t.status === 'completed' ? 0 : 1;
        }
        await sleep(250, io.stopped);
      }
      throw new CliError(`test to ${name}: still pending after ${waitS} s (test id ${test.id})`);
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

/** Runs the CLI; resolves with the exit code. */
export async function runCli(argv: readonly string[], env: Env, io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.err : io.out)(globalUsage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.err(`hookpost: unknown command "${name}"\n\n${globalUsage()}`);
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
    io.err(`hookpost ${name}: ${(err as Error).message}\nRun \`hookpost ${name} --help\` for its options.`);
    return 2;
  }
  if (values['help']) {
    io.out(commandHelp);
    return 0;
  }
  const ctx: Context = {
    values,
    positionals,
    env,
    io,
    api: () =>
      createApiClient(
        str(values, 'url') ?? env['HOOKPOST_URL'] ?? 'http://127.0.0.1:8080',
        str(values, 'token') ?? env['HOOKPOST_TOKEN'] ?? LOCAL_DEV_TOKEN,
        str(values, 'project') ?? env['HOOKPOST_PROJECT'] ?? 'demo',
      ),
  };
  try {
    return await command.run(ctx);
  } catch (err) {
    if (err instanceof CliError) {
      io.err(`hookpost ${name}: ${err.message}${err.exitCode === 2 ? `\nRun \`hookpost ${name} --help\` for its options.` : ''}`);
      return err.exitCode;
    }
    io.err(`hookpost ${name}: ${err instanceof Error ? err.message : String(err)}`);
    return 1;
  }
}
