/**
 * Every route module of the API, in the order buildApp registers them: the one list. Modules
 * whose dependencies are optional (the attempt log, the monitoring page) serve nothing without them.
 */
import type { RouteModule } from '../route-contract.js';
import { deadLetterRoutes } from './dead-letters.js';
import { deliveryRoutes } from './deliveries.js';
import { healthRoutes } from './health.js';
import { openApiRoutes } from './openapi.js';
import { signingKeyRoutes } from './signing-key.js';
import { signingKeysRoutes } from './signing-keys.js';
import { uiRoutes } from './ui.js';
import { up42WebhookRoutes } from './up42-webhooks.js';
import { webhookEventRoutes } from './webhook-events.js';
import { webhookTestRoutes } from './webhook-tests.js';
import { webhookRoutes } from './webhooks.js';

export const ROUTE_MODULES: readonly RouteModule[] = Object.freeze([
  healthRoutes,
  signingKeyRoutes,
  signingKeysRoutes,
  openApiRoutes,
  webhookRoutes,
  webhookTestRoutes,
  webhookEventRoutes,
  up42WebhookRoutes,
  deadLetterRoutes,
  deliveryRoutes,
  uiRoutes,
]);
