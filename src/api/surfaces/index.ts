/** Every API surface the app serves (see surface.ts). */
import type { Surface } from './surface.js';
import { ubiopsSurface } from './ubiops/index.js';
import { up42Surface } from './up42/index.js';

export { DEFAULT_AUTH_SCHEME, defaultErrorBody, type Surface } from './surface.js';

export const SURFACES: readonly Surface[] = Object.freeze([ubiopsSurface, up42Surface]);
