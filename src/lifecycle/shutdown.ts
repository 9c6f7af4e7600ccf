/**
 * One shutdown handler per process: on SIGTERM or SIGINT, close every component in reverse start
 * order within a hard timeout, then exit (0 when everything closed in time).
 */
import type { Logger } from '../observability/logger.js';

export interface Closable {
  readonly name: string;
  close(): Promise<void>;
  /**
   * Called synchronously when the process exits without closing (a second signal, or the timeout):
   * for what must not outlive it, such as local mode's embedded redis-server.
   */
  abandon?(): void;
}

export interface ShutdownOptions {
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Default: process.exit. */
  readonly exit?: (code: number) => void;
  /**
   * A repeat of the first signal within this many milliseconds is the same request, not a second
   * one (default 2,000). A terminal's Ctrl-C reaches every process of the foreground group: under
   * `npm start`, node gets SIGINT from the terminal and again from npm, which forwards it.
   */
  readonly repeatWindowMs?: number;
}

/** Closes `components` (reverse order); resolves false when the timeout passed first. */
export async function closeAll(components: readonly Closable[], timeoutMs: number, logger: Logger): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const closing = (async () => {
    for (const c of [...components].reverse()) {
      try {
        await c.close();
      } catch (err) {
        logger.warn({ component: c.name, err: err instanceof Error ? err.message : String(err) }, 'close failed');
      }
    }
    return true as const;
  })();
  const closed = await Promise.race([closing, timedOut]);
  clearTimeout(timer);
  return closed;
}

/**
 * Installs the SIGTERM/SIGINT handler. A second signal exits at once (1), after abandoning what has
 * an `abandon`; the same signal again within `repeatWindowMs` of the first counts as the first.
 */
export function handleShutdown(components: readonly Closable[], options: ShutdownOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  const repeatWindowMs = options.repeatWindowMs ?? 2_000;
  const abandonAll = () => {
    for (const c of [...components].reverse()) {
      try {
        c.abandon?.();
      } catch {
        // exiting anyway
      }
    }
  };
  let first: { signal: NodeJS.Signals; at: number } | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (first) {
      if (signal === first.signal && Date.now() - first.at < repeatWindowMs) {
        options.logger.debug({ signal }, 'same signal again (forwarded by a parent such as npm): already shutting down');
        return;
      }
      options.logger.warn({ signal }, 'second signal: exiting now');
      abandonAll();
      options.logger.flush?.();
      exit(1);
      return;
    }
    first = { signal, at: Date.now() };
    options.logger.info({ signal, timeoutMs: options.timeoutMs }, 'shutting down: finishing in-flight work');
    void closeAll(components, options.timeoutMs, options.logger).then((closed) => {
      if (!closed) {
        options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out');
        abandonAll();
      } else options.logger.info('shutdown complete');
      options.logger.flush?.();
      exit(closed ? 0 : 1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
