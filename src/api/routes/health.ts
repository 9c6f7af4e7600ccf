/** `/healthz` (alive), `/readyz` (Redis reachable) and `/metrics` (Prometheus text); no token. */
import type { FastifyInstance } from 'fastify';
import type { Registry as MetricsRegistry } from 'prom-client';
import { ErrorCode, hasCode } from '../../errors.js';
import type { RouteModule } from '../route-contract.js';

export interface HealthDeps {
  /**
   * True when the process can serve (Redis reachable); a throw counts as false, and a HookpostError
   * REDIS_UNAVAILABLE's message is sent as the 503's `reason`.
   */
  readonly checkReady: () => Promise<boolean>;
  readonly metricsRegistry: MetricsRegistry;
}

/** The three token-free endpoints, also served alone by worker processes on their metrics port. */
export function registerHealthEndpoints(app: FastifyInstance, deps: HealthDeps): void {
  app.get('/healthz', { config: { public: true }, logLevel: 'warn' }, async () => ({ status: 'ok' }));

  app.get('/readyz', { config: { public: true }, logLevel: 'warn' }, async (request, reply) => {
    let ready = false;
    let reason: string | undefined;
    try {
      ready = await deps.checkReady();
    } catch (err) {
      // A Redis problem is already logged once per change by the connection watch; say it here too.
      if (hasCode(err, ErrorCode.REDIS_UNAVAILABLE)) reason = err.message;
      else request.log.warn({ err }, 'readiness check failed');
    }
    return reply.code(ready ? 200 : 503).send(ready ? { status: 'ready' } : { status: 'not ready', ...(reason && { reason }) });
  });

  app.get('/metrics', { config: { public: true }, logLevel: 'warn' }, async (_request, reply) => {
    const text = await deps.metricsRegistry.metrics();
    return reply.header('content-type', deps.metricsRegistry.contentType).send(text);
  });
}

export const healthRoutes: RouteModule = {
  name: 'health',

  register(app, { deps }) {
    registerHealthEndpoints(app, deps);
  },

  openapi() {
    const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });
    const status = (description: string) => ({
      description,
      content: { 'application/json': { schema: { type: 'object', properties: { status: { type: 'string' } } } } },
    });
    return {
      '/healthz': {
        get: { operationId: 'healthz', summary: 'Process alive', security: [], responses: { '200': status('alive') } },
      },
      '/readyz': {
        get: {
          operationId: 'readyz',
          summary: 'Ready to serve (Redis reachable)',
          security: [],
          responses: { '200': status('ready'), '503': status('not ready') },
        },
      },
      '/metrics': {
        get: { operationId: 'metrics', summary: 'Prometheus metrics', security: [], responses: { '200': text('metrics') } },
      },
    };
  },
};
