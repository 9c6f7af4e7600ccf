/**
 * The routes outside any surface (health and metrics, the signing keys, the OpenAPI document, the
 * monitoring page), in the order buildApp registers them; each surface's routes follow, surface by
 * surface (surfaces/index.ts). Modules whose dependencies are optional serve nothing without them.
 */
import type { RouteModule } from '../route-contract.js';
import { healthRoutes } from './health.js';
import { openApiRoutes } from './openapi.js';
import { signingKeyRoutes } from './signing-key.js';
import { signingKeysRoutes } from './signing-keys.js';
import { uiRoutes } from './ui.js';

export const COMMON_ROUTE_MODULES: readonly RouteModule[] = Object.freeze([
  healthRoutes,
  signingKeyRoutes,
  signingKeysRoutes,
  openApiRoutes,
  uiRoutes,
]);
