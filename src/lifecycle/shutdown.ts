/**
 * One shutdown handler per process: on SIGTERM or SIGINT, close every component in reverse start
 * order within a hard timeout, then exit (0 when everything closed in time).
 */
import type { Logger } from '../observability/logger.js';

export interface Closable {
  readonly name: string;
  close(): Promise<void>;
}

export interface ShutdownOptions {
  readonly timeoutMs: number;
  readonly logger: Logger;
  /** Default: process.exit. */
  readonly exit?: (code: number) => void;
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

/** Installs the SIGTERM/SIGINT handler; a second signal exits at once. */
export function handleShutdown(components: readonly Closable[], options: ShutdownOptions): void {
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      options.logger.warn({ signal }, 'second signal: exiting now');
      exit(1);
      return;
    }
    stopping = true;
    options.logger.info({ signal, timeoutMs: options.timeoutMs }, 'shutting down: finishing in-flight work');
    void closeAll(components, options.timeoutMs, options.logger).then((closed) => {
      if (!closed) options.logger.error({ timeoutMs: options.timeoutMs }, 'shutdown timed out');
      else options.logger.info('shutdown complete');
      options.logger.flush?.();
      exit(closed ? 0 : 1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
