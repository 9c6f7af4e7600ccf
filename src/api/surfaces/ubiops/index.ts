/**
 * The UbiOps v2.1 surface: `/v2.1/projects/{project_name}/...` (webhooks, webhook tests, the event
 * catalog) and hookpost's extensions in the same style (deliveries, dead letters, webhook health).
 * Errors are `{"error": "<field>: <rule>"}`; a 401 names the `Token` scheme.
 */
import { type Surface, defaultErrorBody } from '../surface.js';
import { deadLetterRoutes } from './dead-letters.js';
import { deliveryRoutes } from './deliveries.js';
import { webhookEventRoutes } from './webhook-events.js';
import { webhookTestRoutes } from './webhook-tests.js';
import { webhookRoutes } from './webhooks.js';

export const ubiopsSurface: Surface = Object.freeze({
  name: 'ubiops',
  routes: Object.freeze([webhookRoutes, webhookTestRoutes, webhookEventRoutes, deadLetterRoutes, deliveryRoutes]),
  errorBody: defaultErrorBody,
  authScheme: 'Token',
  projectParameter: 'project_name',
  ownsPath: (path: string) => path.startsWith('/v2.1/'),
});
