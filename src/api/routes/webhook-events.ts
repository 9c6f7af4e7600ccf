/**
 * The event catalog: every event a webhook can subscribe to, with its object type and a one-line
 * description. `GET /v2.1/webhooks/events` answers the list; `GET /webhooks/events` (UP42's
 * `get_webhook_events()`) the same list in the UP42 envelope.
 */
import { EVENT_CATALOG } from '../../registry/model.js';
import type { RouteModule } from '../route-contract.js';
import { errorResponses, ref } from '../openapi.js';
import { UP42_SURFACE, envelopeOf, up42Data } from '../up42.js';

const catalogList = { type: 'array', items: ref('CatalogEvent') };

export const webhookEventRoutes: RouteModule = {
  name: 'webhook-events',

  register(app) {
    // The catalog is the same for every project: scoped tokens read it too.
    app.get('/v2.1/webhooks/events', { config: { projectScope: 'none' } }, async () => EVENT_CATALOG);
    app.get('/webhooks/events', { config: { surface: UP42_SURFACE, projectScope: 'none' } }, async () => up42Data(EVENT_CATALOG));
  },

  openapi() {
    return {
      '/v2.1/webhooks/events': {
        get: {
          operationId: 'webhook_events_list',
          summary: 'Every event a webhook can subscribe to (name, object_type, description)',
          responses: {
            '200': { description: 'the catalog', content: { 'application/json': { schema: catalogList } } },
            ...errorResponses(401),
          },
        },
      },
      '/webhooks/events': {
        get: {
          operationId: 'up42_webhook_events_list',
          summary: 'UP42 surface: the event catalog, in the {"data": ..., "error": null} envelope',
          tags: ['UP42'],
          responses: {
            '200': { description: 'the catalog', content: { 'application/json': { schema: envelopeOf(catalogList) } } },
            '401': { description: 'missing or invalid API token', content: { 'application/json': { schema: ref('Up42Error') } } },
          },
        },
      },
    };
  },
};
