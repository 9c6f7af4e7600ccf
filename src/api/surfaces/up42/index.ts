/**
 * The UP42-style surface, as UP42's SDK calls it: `/webhooks/events` and
 * `/workspaces/{workspace_id}/webhooks...`. A workspace is a project of the same registry. Every
 * answer is `{"data": ..., "error": null}`; errors are `{"data": null, "error": {"code": <status>,
 * "message": "..."}}`; a 401 names the `Bearer` scheme (what the SDK sends).
 */
import type { Surface } from '../surface.js';
import { up42Error } from './schemas.js';
import { up42WebhookEventRoutes } from './webhook-events.js';
import { up42WebhookRoutes } from './webhooks.js';

export const up42Surface: Surface = Object.freeze({
  name: 'up42',
  routes: Object.freeze([up42WebhookEventRoutes, up42WebhookRoutes]),
  errorBody: up42Error,
  authScheme: 'Bearer',
  projectParameter: 'workspace_id',
  ownsPath: (path: string) => path === '/webhooks/events' || path.startsWith('/workspaces/'),
});
