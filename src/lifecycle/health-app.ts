/** The worker's own HTTP server: `/healthz`, `/readyz` and `/metrics` on HOOKPOST_METRICS_PORT. */
import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import { registerAccessLog, requestLogView } from '../api/request-handling.js';
import { type HealthDeps, registerHealthEndpoints } from '../api/routes/health.js';
import type { Logger } from '../observability/logger.js';

export function buildHealthApp(deps: HealthDeps & { readonly logger: Logger }): FastifyInstance {
  // The API's request view (path without query string) for the access lines.
  const logger = deps.logger.child({}, { serializers: { req: requestLogView } });
  const app = Fastify({ loggerInstance: logger as FastifyBaseLogger }) as unknown as FastifyInstance;
  registerAccessLog(app);
  registerHealthEndpoints(app, deps);
  return app;
}
