/** `GET /webhooks/events` (UP42's `get_webhook_events()`): the event catalog in the UP42 envelope. */
import { EVENT_CATALOG } from '../../../registry/model.js';
import { ref, toJsonSchema } from '../../openapi.js';
import { catalogEventSchema } from '../../primitives.js';
import type { RouteModule } from '../../route-contract.js';
import { envelopeOf, up42Data } from './schemas.js';

const catalogList = { type: 'array', items: ref('CatalogEvent') };

export const up42WebhookEventRoutes: RouteModule = {
  name: 'up42-webhook-events',

  register(app) {
    // The catalog is the same for every project: scoped tokens read it too.
    app.get('/webhooks/events', { config: { projectScope: 'none' } }, async () => up42Data(EVENT_CATALOG));
  },

  components: () => ({ CatalogEvent: toJsonSchema(catalogEventSchema, 'output') }),

  openapi() {
    return {
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
