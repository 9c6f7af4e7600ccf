/** The worker's own HTTP server: `/healthz`, `/readyz` and `/metrics` on HOOKPOST_METRICS_PORT. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { type HealthDeps, registerHealthEndpoints } from '../api/routes/health.js';
import type { Logger } from '../observability/logger.js';

export function buildHealthApp(deps: HealthDeps & { readonly logger: Logger }): FastifyInstance {
  const app = Fastify({ loggerInstance: deps.logger as FastifyBaseLogger }) as unknown as FastifyInstance;
  registerHealthEndpoints(app, deps);
  return app;
}
