/**
 * The management API (SPEC §6): a Fastify app built from route modules, without listen().
 * Each resource lives in its own module under routes/ and brings its OpenAPI paths with it.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import { ErrorCode, HookpostError } from '../errors.js';
import type { Registry } from '../registry/store.js';
import type { WebhookTestStore } from '../registry/webhook-tests.js';
import { type ConfiguredToken, createTokenAuthenticator } from './auth.js';
import { toHttpError } from './http-errors.js';
import { type JsonSchema, type OpenApiDocument, type OpenApiPaths, buildOpenApiDocument } from './openapi.js';
import { registerProjectScope } from './project-scope.js';
import { registerBodyParsing, requestLogView } from './request-handling.js';
import { healthRoutes } from './routes/health.js';
import { openApiRoutes } from './routes/openapi.js';
import { signingKeyRoutes } from './routes/signing-key.js';
import { up42WebhookRoutes } from './routes/up42-webhooks.js';
import { webhookEventRoutes } from './routes/webhook-events.js';
import { signingKeysRoutes } from './routes/signing-keys.js';
import { webhookTestRoutes } from './routes/webhook-tests.js';
import { webhookRoutes } from './routes/webhooks.js';
import { type ApiSchemas, createApiSchemas } from './schemas.js';
import { UP42_SURFACE, isUp42Path, up42Error } from './up42.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no API token (health, metrics, signing key, OpenAPI). */
    public?: boolean;
    /** `up42`: the route answers in the UP42 envelope, errors included. Default: the UbiOps surface. */
    surface?: typeof UP42_SURFACE;
  }
}

/** The public half of the signing key, served to receivers. */
export interface PublicSigningKey {
  readonly alg: 'ed25519';
  /** `sha512:<hex>` of the raw public key (SPEC §4). */
  readonly keyid: string;
  readonly public_key_pem: string;
}

export interface ApiDeps {
  /** Accepted API tokens, at least one; a plain string may touch every project (see project-scope.ts). */
  readonly apiTokens: readonly ConfiguredToken[];
  /** Accept `http://` webhook URLs. */
  readonly allowHttp: boolean;
  readonly registry: Registry;
  readonly webhookTests: WebhookTestStore;
  /** Queues a stored webhook test for sending; job data carries only these ids. */
  readonly enqueueWebhookTest: (project: string, testId: string) => Promise<void>;
  readonly publicKey: PublicSigningKey;
  /** Every configured signing key, the signing one first (rotation); default `[publicKey]`. */
  readonly publicKeys?: readonly PublicSigningKey[];
  /** True when the process can serve (Redis reachable); a throw counts as false. */
  readonly checkReady: () => Promise<boolean>;
  readonly metricsRegistry: MetricsRegistry;
  readonly logger: Logger;
}

/** What a route module receives. */
export interface RouteContext {
  readonly deps: ApiDeps;
  readonly schemas: ApiSchemas;
  /** The app's OpenAPI document (complete once every module is registered). */
  readonly openapi: () => OpenApiDocument;
}

/**
 * A resource's routes. `register` adds them to the app (mark token-free routes with
 * `config: { public: true }`); `openapi` describes them (paths keyed by the full path, with
 * `$ref`s to `#/components/schemas/<name>` of the shared schemas).
 */
export interface RouteModule {
  readonly name: string;
  register(app: FastifyInstance, ctx: RouteContext): void;
  openapi(ctx: RouteContext): OpenApiPaths;
  /** Component schemas the module's paths refer to, beyond the shared ones. */
  components?(ctx: RouteContext): Record<string, JsonSchema>;
}

/** The modules buildApp registers, in order. */
export const DEFAULT_ROUTE_MODULES: readonly RouteModule[] = Object.freeze([
  healthRoutes,
  signingKeyRoutes,
  signingKeysRoutes,
  openApiRoutes,
  webhookRoutes,
  webhookTestRoutes,
  webhookEventRoutes,
  up42WebhookRoutes,
]);

export interface BuildAppOptions {
  /** More route modules, registered after the default ones. */
  readonly routes?: readonly RouteModule[];
  /**
   * Largest accepted request body in bytes; default 1 MiB, so the largest valid webhook (32 headers
   * of 4096 characters, even JSON-escaped as `\u00ff`) always fits.
   */
  readonly bodyLimitBytes?: number;
}

/** One route as registered: method, path (Fastify syntax, `:param`) and its config. */
export interface RouteEntry {
  readonly method: string;
  readonly url: string;
  readonly config: Readonly<Record<string, unknown>>;
}

const routeTables = new WeakMap<FastifyInstance, RouteEntry[]>();

/** Every route of an app built by buildApp, HEAD routes included (tests enumerate them). */
export function routesOf(app: FastifyInstance): readonly RouteEntry[] {
  return routeTables.get(app) ?? [];
}

/** Builds the API without listening; the caller calls `listen` (or `inject` in tests) and `close`. */
export function buildApp(deps: ApiDeps, options: BuildAppOptions = {}): FastifyInstance {
  if (deps.apiTokens.length === 0) {
    throw new HookpostError(ErrorCode.CONFIG_INVALID, 'the API needs at least one API token');
  }
  const bodyLimitBytes = options.bodyLimitBytes ?? 1024 * 1024;
  // Fastify's request lines use the instance's `req` serializer: the path only, never the query.
  const logger = deps.logger.child({}, { serializers: { req: requestLogView } });
  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    bodyLimit: bodyLimitBytes,
    genReqId: () => randomUUID(),
    requestIdHeader: false,
  }) as unknown as FastifyInstance;

  registerBodyParsing(app);
  const routeTable: RouteEntry[] = [];
  routeTables.set(app, routeTable);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routeTable.push({ method, url: route.url, config: { ...(route.config ?? {}) } });
  });

  const authenticate = createTokenAuthenticator(deps.apiTokens);
  const modules = [...DEFAULT_ROUTE_MODULES, ...(options.routes ?? [])];
  let document: OpenApiDocument | undefined;
  const ctx: RouteContext = {
    deps,
    schemas: createApiSchemas({ allowHttp: deps.allowHttp }),
    openapi: () => {
      document ??= buildOpenApiDocument(ctx, modules);
      return document;
    },
  };

  /** The error body of the request's surface: `{"error": "..."}` or the UP42 envelope. */
  const isUp42 = (request: FastifyRequest) =>
    request.routeOptions.config?.surface === UP42_SURFACE ||
    (request.routeOptions.url === undefined && isUp42Path(request.url));
  const errorBody = (request: FastifyRequest, statusCode: number, message: string) =>
    isUp42(request) ? up42Error(statusCode, message) : { error: message };

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.routeOptions.config?.public === true) return;
    const result = authenticate(request.headers.authorization);
    if (!result.ok) {
      return reply
        .code(401)
        .header('www-authenticate', isUp42(request) ? 'Bearer' : 'Token')
        .send(errorBody(request, 401, result.problem));
    }
    request.tokenGrant = result.grant;
  });
  registerProjectScope(app, errorBody);

  app.setErrorHandler((err, request, reply) => {
    const { statusCode, message } = toHttpError(err, bodyLimitBytes);
    if (statusCode >= 500) request.log.error({ err }, 'request failed');
    return reply.code(statusCode).send(errorBody(request, statusCode, message));
  });

  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(request, 404, 'no such endpoint')));

  for (const module of modules) module.register(app, ctx);
  return app;
}
