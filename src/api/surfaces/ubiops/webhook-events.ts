/**
 * The event catalog: every event a webhook can subscribe to, with its object type and a one-line
 * description, at `GET /v2.1/webhooks/events` (the UP42 surface serves the same list in its envelope).
 */
import { EVENT_CATALOG } from '../../../registry/model.js';
import { errorResponses, ref, toJsonSchema } from '../../openapi.js';
import { catalogEventSchema } from '../../primitives.js';
import type { RouteModule } from '../../route-contract.js';

const catalogList = { type: 'array', items: ref('CatalogEvent') };

export const webhookEventRoutes: RouteModule = {
  name: 'webhook-events',

  register(app) {
    // The catalog is the same for every project: scoped tokens read it too.
    app.get('/v2.1/webhooks/events', { config: { projectScope: 'none' } }, async () => EVENT_CATALOG);
  },

  components: () => ({ CatalogEvent: toJsonSchema(catalogEventSchema, 'output') }),

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
    };
  },
};
