/**
 * Project-scoped API tokens, enforced once for every route: after authentication, a hook reads the
 * project the route's path names (each surface's project parameter: `:project_name` on the UbiOps
 * surface, `:workspace_id` on the UP42 one, on whatever route) and refuses a token that may not touch it: 404 for reads (GET,
 * HEAD: a scoped token learns nothing about other projects, not even whether they exist), 403 for
 * writes. Routes added later are covered by their path alone.
 *
 * A route whose path names no project either carries no project's data (mark it
 * `config: { projectScope: 'none' }`, e.g. the event catalog) or spans every project; the latter
 * is refused to scoped tokens (403) unless it filters by `grantedProjects(request)` and says so
 * with `projectScope: 'filtered'`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { TokenGrant } from './auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** What the request's API token may touch; null on public routes and before authentication. */
    tokenGrant: TokenGrant | null;
  }
  interface FastifyContextConfig {
    /**
     * For a route whose path names no project: `none`, it serves no project's data; `filtered`, it
     * lists across projects and filters by `grantedProjects(request)` itself. Absent: scoped
     * tokens are refused.
     */
    projectScope?: 'none' | 'filtered';
  }
}

/**
 * Finds the project parameter a route path declares, of `parameters` (every surface's):
 * `/v2.1/projects/:project_name/...` → `project_name`.
 */
export function projectParameterFinder(parameters: readonly string[]): (routeUrl: string) => string | undefined {
  const re = new RegExp(`:(${parameters.join('|')})(?=/|$)`);
  return (routeUrl) => re.exec(routeUrl)?.[1];
}

/** The projects the request's token may touch; null for every project (or a public route). */
export function grantedProjects(request: FastifyRequest): ReadonlySet<string> | null {
  return request.tokenGrant?.projects ?? null;
}

const READ_METHODS: readonly string[] = ['GET', 'HEAD'];

/** Builds the error body of the request's surface. */
export type ErrorBody = (request: FastifyRequest, statusCode: number, message: string) => unknown;

export interface ProjectScopeOptions {
  /** Builds the error body of the request's surface. */
  readonly errorBody: ErrorBody;
  /** The path parameters that name a project, one per surface. */
  readonly projectParameters: readonly string[];
}

/** Adds the scope check; register it right after the authentication hook. */
export function registerProjectScope(app: FastifyInstance, { errorBody, projectParameters }: ProjectScopeOptions): void {
  app.decorateRequest('tokenGrant', null);
  const projectParameterOf = projectParameterFinder(projectParameters);

  const refuse = (request: FastifyRequest, reply: FastifyReply, statusCode: 403 | 404, message: string) =>
    reply.code(statusCode).send(errorBody(request, statusCode, message));

  app.addHook('onRequest', async (request, reply) => {
    const projects = grantedProjects(request);
    if (projects === null) return;
    const routeUrl = request.routeOptions.url;
    // No route matched: the not-found handler answers, with no project's data.
    if (routeUrl === undefined) return;
    const parameter = projectParameterOf(routeUrl);
    if (parameter === undefined) {
      if (request.routeOptions.config?.projectScope !== undefined) return;
      return refuse(request, reply, 403, 'this API token is limited to some projects; this endpoint spans every project');
    }
    const project = (request.params as Record<string, string | undefined>)[parameter] ?? '';
    if (projects.has(project)) return;
    if (READ_METHODS.includes(request.method)) return refuse(request, reply, 404, 'not found');
    return refuse(request, reply, 403, `${parameter}: this API token may not change this project`);
  });
}
