/**
 * An API surface: one vendor's API over the one registry (UbiOps's `/v2.1/projects/...`, UP42's
 * `/workspaces/...`). A surface brings its routes and says how they answer errors, which
 * `Authorization` scheme a 401 names, and which path parameter names the project (the project
 * scope of API tokens reads it). Adding a vendor is one folder under surfaces/ and one entry in
 * surfaces/index.ts.
 */
import type { RouteModule } from '../route-contract.js';

export interface Surface {
  /** Stamped on each of its routes as `config.surface` by buildApp. */
  readonly name: string;
  readonly routes: readonly RouteModule[];
  /** The body of an error answer (`statusCode` is the HTTP status; `message` names the field and the rule). */
  errorBody(statusCode: number, message: string): unknown;
  /** The scheme a 401's `WWW-Authenticate` names (every route accepts `Token` and `Bearer`). */
  readonly authScheme: string;
  /** The path parameter that names a project on this surface (`project_name`, `workspace_id`). */
  readonly projectParameter: string;
  /** True when a path (query removed) is the surface's: a request no route matched is answered in its error body. */
  ownsPath(path: string): boolean;
}

/** The error body of routes outside any surface (health, signing keys, OpenAPI): `{"error": "..."}`. */
export const defaultErrorBody = (_statusCode: number, message: string): { readonly error: string } => ({ error: message });

/** The scheme a 401 names outside any surface. */
export const DEFAULT_AUTH_SCHEME = 'Token';
