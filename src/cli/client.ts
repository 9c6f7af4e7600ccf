/** The CLI's view of the management API: authenticated JSON calls with `{"error"}` turned into a CliError. */
import { isIP } from 'node:net';
import { Agent, fetch } from 'undici';
import { CliError } from './errors.js';
import { printable } from './terminal.js';

export interface ApiClient {
  /** Calls `/v2.1/projects/{project}<path>` (or `<path>` as is when it starts with `/v2.1/`). */
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export interface ApiClientOptions {
  readonly baseUrl: string;
  /** Where `baseUrl` came from, for messages: `--url`, `HOOKPOST_URL` or the default. */
  readonly urlSource: string;
  readonly token: string;
  readonly project: string;
  /** How long a connection may take before the API counts as unreachable. */
  readonly connectTimeoutMs: number;
  /** How long an answer may take once connected. */
  readonly answerTimeoutMs: number;
  /** Warnings (a token about to go over plain http to another machine). */
  warn(line: string): void;
}

/** True for `localhost` and loopback addresses (127.0.0.0/8, ::1, ::ffff:127.x.y.z): plain http there stays on this machine. */
export function isLoopbackHost(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) === 4) return host.startsWith('127.');
  if (isIP(host) !== 6) return false;
  if (host === '::1' || /^(0{1,4}:){7}0{0,3}1$/.test(host)) return true;
  // IPv4-mapped: ::ffff:127.0.0.1, which URL parsing writes as ::ffff:7f00:1.
  const mapped = /^::ffff:(?:(\d+\.\d+\.\d+\.\d+)|([0-9a-f]{1,4}):[0-9a-f]{1,4})$/.exec(host);
  if (!mapped) return false;
  return mapped[1] !== undefined ? mapped[1].startsWith('127.') : Number.parseInt(mapped[2] ?? '0', 16) >> 8 === 127;
}

/**
 * The warning for a token about to go over plain http to another machine (readable and reusable by
 * anyone on the way), or undefined (https, or a loopback address).
 */
export function plainHttpTokenWarning(url: URL, source: string): string | undefined {
  if (url.protocol !== 'http:' || isLoopbackHost(url.hostname)) return undefined;
  return `warning: the API token goes over plain http to ${url.host}, unencrypted: anyone on the way can read and reuse it; use an https:// URL (${source})`;
}

const causeCode = (err: unknown): string => {
  const cause = (err as { cause?: { code?: string; errors?: Array<{ code?: string }>; message?: string } }).cause;
  return cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
};

export function createApiClient(options: ApiClientOptions): ApiClient {
  const base = options.baseUrl.replace(/\/+$/, '');
  let parsed: URL;
  try {
    parsed = new URL(base);
  } catch {
    throw new CliError(`the API URL ${JSON.stringify(printable(base))} (${options.urlSource}) is not a URL; expected e.g. http://127.0.0.1:8080`, 2);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw new CliError(`the API URL ${printable(base)} (${options.urlSource}) must start with http:// or https://`, 2);
  }
  let warned = false;
  const dispatcher = new Agent({
    connect: { timeout: options.connectTimeoutMs },
    headersTimeout: options.answerTimeoutMs,
    bodyTimeout: options.answerTimeoutMs,
  });
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const warning = warned ? undefined : plainHttpTokenWarning(parsed, options.urlSource);
      if (warning) {
        warned = true;
        options.warn(warning);
      }
      const url = path.startsWith('/v2.1/') ? `${base}${path}` : `${base}/v2.1/projects/${encodeURIComponent(options.project)}${path}`;
      let res: Awaited<ReturnType<typeof fetch>>;
      let text: string;
      try {
        res = await fetch(url, {
          method,
          dispatcher,
          headers: { authorization: `Token ${options.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
        text = await res.text();
      } catch (err) {
        const code = causeCode(err);
        if (code === 'UND_ERR_CONNECT_TIMEOUT') {
          throw new CliError(
            `cannot reach the hookpost API at ${base} (${options.urlSource}): no connection within ${seconds(options.connectTimeoutMs)}; is it running, and is this its address?`,
          );
        }
        if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') {
          throw new CliError(`${method} ${path}: no answer from ${base} (${options.urlSource}) within ${seconds(options.answerTimeoutMs)}; is this the hookpost API?`);
        }
        throw new CliError(`cannot reach the hookpost API at ${base} (${options.urlSource}): ${printable(code)}; is it running?`);
      }
      let data: unknown = null;
      let isJson = text === '';
      try {
        data = text === '' ? null : JSON.parse(text);
        isJson = true;
      } catch {
        data = null;
      }
      if (!res.ok) {
        const apiMessage = (data as { error?: unknown } | null)?.error;
        const message = typeof apiMessage === 'string' ? apiMessage : `HTTP ${res.status}${isJson ? '' : ' (not a hookpost API answer)'}`;
        const hint = res.status === 401 ? ' (set HOOKPOST_TOKEN, or pass --token)' : '';
        throw new CliError(`${method} ${path}: ${res.status} ${printable(message)}${hint}`);
      }
      if (!isJson) {
        const type = res.headers.get('content-type') ?? 'no content type';
        const excerpt = printable(text.replace(/\s+/g, ' ').trim().slice(0, 80));
        throw new CliError(
          `${method} ${path}: ${base} answered ${res.status} with something that is not JSON (${printable(type)}: "${excerpt}"); is ${base} (${options.urlSource}) the hookpost API?`,
        );
      }
      return data as T;
    },
  };
}
