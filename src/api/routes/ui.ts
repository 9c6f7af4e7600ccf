/**
 * The monitoring page at `/ui`: three static files from the repository's `ui/` folder, read once at
 * startup and served without a token (the page asks for one and sends it to the API itself). Every
 * response carries a strict Content-Security-Policy: scripts, styles and requests from this origin only.
 * `GET /v2.1/token-scope` tells the page which projects its token may touch, so a project-scoped
 * token opens a page of that project only.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { errorResponses, type OpenApiPaths } from '../openapi.js';
import { grantedProjects } from '../project-scope.js';
import type { RouteModule } from '../route-contract.js';

/** The page's Content-Security-Policy: nothing inline, nothing from another origin, no framing. */
export const UI_CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const FILES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
  'style.css': 'text/css; charset=utf-8',
};

/**
 * The `ui/` folder: beside `src/` when running from the sources, beside `dist/` when built (the
 * image copies it to /app/ui).
 */
export function findUiDir(): string {
  for (const up of ['../../../ui/', '../../../../ui/']) {
    const dir = fileURLToPath(new URL(up, import.meta.url));
    if (existsSync(`${dir}index.html`)) return dir;
  }
  throw new Error('the ui/ folder (index.html, app.js, style.css) was not found beside src/ or dist/');
}

/** Served when the API is given the page's folder (`deps.uiDir`, e.g. {@link findUiDir}). */
export const uiRoutes: RouteModule = {
  name: 'ui',

  register(app, { deps }) {
    const dir = deps.uiDir;
    if (dir === undefined) return;
    const files = new Map(Object.entries(FILES).map(([name, type]) => [name, { type, body: readFileSync(`${dir}${name}`) }]));
    const securityHeaders = {
      'content-security-policy': UI_CONTENT_SECURITY_POLICY,
      'x-content-type-options': 'nosniff',
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
      'cache-control': 'no-cache',
    };
    // `/ui`, `/ui/` and `/ui/<file>`; the page links its files by absolute path.
    app.get<{ Params: { file?: string } }>('/ui/:file?', { config: { public: true } }, (request, reply) => {
      const file = files.get(request.params.file || 'index.html');
      reply.headers(securityHeaders);
      if (!file) return reply.code(404).type('text/plain; charset=utf-8').send('not found');
      return reply.type(file.type).send(file.body);
    });

    // The token's own grant, nothing about any other token or project.
    app.get('/v2.1/token-scope', { config: { projectScope: 'filtered' } }, async (request) => {
      const projects = grantedProjects(request);
      return { projects: projects === null ? null : [...projects].sort() };
    });
  },

  openapi: ({ deps }): OpenApiPaths =>
    deps.uiDir === undefined
      ? {}
      : {
          '/v2.1/token-scope': {
            get: {
              operationId: 'token_scope',
              summary: 'The projects the presented API token may touch: a list, or null for every project',
              responses: {
                '200': {
                  description: 'the scope',
                  content: {
                    'application/json': {
                      schema: {
                        type: 'object',
                        required: ['projects'],
                        properties: { projects: { type: ['array', 'null'], items: { type: 'string' }, description: 'sorted; null: every project' } },
                      },
                    },
                  },
                },
                ...errorResponses(401),
              },
            },
          },
        },
};
