/**
 * The management API: a Fastify app built from route modules, without listen(). The routes outside
 * any surface are listed in routes/index.ts; each API surface (surfaces/: UbiOps, UP42) brings its
 * own, with its error body, auth scheme and project parameter. Each module brings its OpenAPI paths
 * with it; what a module receives is the route contract (route-contract.ts).
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyRequest } from 'fastify';
import { ErrorCode, HookpostError } from '../errors.js';
import { createTokenAuthenticator } from './auth.js';
import { toHttpError } from './http-errors.js';
import type { OpenApiDocument } from './openapi.js';
import { buildOpenApiDocument } from './openapi-document.js';
import { registerProjectScope } from './project-scope.js';
import { registerAccessLog, registerBodyParsing, requestLogView } from './request-handling.js';
import type { ApiDeps, RouteContext, RouteModule } from './route-contract.js';
import { COMMON_ROUTE_MODULES } from './routes/index.js';
import { DEFAULT_AUTH_SCHEME, SURFACES, type Surface, defaultErrorBody } from './surfaces/index.js';

export interface BuildAppOptions {
  /** More route modules, registered after the API's own (outside any surface). */
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
  registerAccessLog(app);
  // A surface's routes carry its name (set while it registers them); requests find their surface by it.
  let registering: Surface | undefined;
  app.addHook('onRoute', (route) => {
    if (registering !== undefined) route.config = { ...(route.config ?? {}), surface: registering.name };
  });
  const routeTable: RouteEntry[] = [];
  routeTables.set(app, routeTable);
  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) routeTable.push({ method, url: route.url, config: { ...(route.config ?? {}) } });
  });

  const authenticate = createTokenAuthenticator(deps.apiTokens);
  const extra = options.routes ?? [];
  const modules = [...COMMON_ROUTE_MODULES, ...SURFACES.flatMap((s) => s.routes), ...extra];
  let document: OpenApiDocument | undefined;
  const ctx: RouteContext = {
    deps,
    openapi: () => {
      document ??= buildOpenApiDocument(ctx, modules);
      return document;
    },
  };

  const surfaceByName = new Map(SURFACES.map((s) => [s.name, s]));
  /** The request's surface: its route's, or for a request no route matched, the one that owns the path. */
  const surfaceOf = (request: FastifyRequest): Surface | undefined => {
    const name = request.routeOptions.config?.surface;
    if (name !== undefined) return surfaceByName.get(name);
    if (request.routeOptions.url !== undefined) return undefined;
    const query = request.url.indexOf('?');
    const path = query < 0 ? request.url : request.url.slice(0, query);
    return SURFACES.find((s) => s.ownsPath(path));
  };
  const errorBody = (request: FastifyRequest, statusCode: number, message: string) =>
    (surfaceOf(request)?.errorBody ?? defaultErrorBody)(statusCode, message);

  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    if (request.routeOptions.config?.public === true) return;
    const result = authenticate(request.headers.authorization);
    if (!result.ok) {
      return reply
        .code(401)
        .header('www-authenticate', surfaceOf(request)?.authScheme ?? DEFAULT_AUTH_SCHEME)
        .send(errorBody(request, 401, result.problem));
    }
    request.tokenGrant = result.grant;
  });
  registerProjectScope(app, { errorBody, projectParameters: SURFACES.map((s) => s.projectParameter) });

  app.setErrorHandler((err, request, reply) => {
    const { statusCode, message } = toHttpError(err, bodyLimitBytes);
    if (statusCode >= 500) request.log.error({ err }, 'request failed');
    return reply.code(statusCode).send(errorBody(request, statusCode, message));
  });

  app.setNotFoundHandler((request, reply) => reply.code(404).send(errorBody(request, 404, 'no such endpoint')));

  for (const module of COMMON_ROUTE_MODULES) module.register(app, ctx);
  for (const surface of SURFACES) {
    registering = surface;
    for (const module of surface.routes) module.register(app, ctx);
    registering = undefined;
  }
  for (const module of extra) module.register(app, ctx);
  return app;
}
