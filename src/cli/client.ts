/** The CLI's view of the management API: authenticated JSON calls with `{"error"}` turned into a CliError. */
import { CliError } from './errors.js';

export interface ApiClient {
  /** Calls `/v2.1/projects/{project}<path>` (or `<path>` as is when it starts with `/v2.1/`). */
  call<T = unknown>(method: string, path: string, body?: unknown): Promise<T>;
}

export function createApiClient(baseUrl: string, token: string, project: string): ApiClient {
  const base = baseUrl.replace(/\/+$/, '');
  return {
    async call<T>(method: string, path: string, body?: unknown): Promise<T> {
      const url = path.startsWith('/v2.1/') ? `${base}${path}` : `${base}/v2.1/projects/${encodeURIComponent(project)}${path}`;
      let res: Response;
      try {
        res = await fetch(url, {
          method,
          headers: { authorization: `Token ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        const cause = (err as { cause?: { code?: string; errors?: Array<{ code?: string }>; message?: string } }).cause;
        const why = cause?.code ?? cause?.errors?.[0]?.code ?? cause?.message ?? (err instanceof Error ? err.message : String(err));
        throw new CliError(`cannot reach the hookpost API at ${base} (${why}); is it running? (--url or HOOKPOST_URL)`);
      }
      const text = await res.text();
      let data: unknown = null;
      try {
        data = text === '' ? null : JSON.parse(text);
      } catch {
        data = null;
      }
      if (!res.ok) {
        const message = (data as { error?: string } | null)?.error ?? `HTTP ${res.status}`;
        const hint = res.status === 401 ? ' (pass --token or set HOOKPOST_TOKEN)' : '';
        throw new CliError(`${method} ${path}: ${res.status} ${message}${hint}`);
      }
      return data as T;
    },
  };
}
