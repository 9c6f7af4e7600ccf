/**
 * The contract between the app and its route modules: what a module receives (the API's
 * dependencies, the shared schemas, the OpenAPI document) and what it gives (routes and their
 * OpenAPI paths). Its own module so that route modules never import the app that registers them.
 */
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Registry as MetricsRegistry } from 'prom-client';
import type { AttemptLogReader, RedeliverResult } from '../attempts/index.js';
import type { DeadLetter, DeadLetterStore, RedriveFilter } from '../dead-letters/index.js';
import type { Registry } from '../registry/store.js';
import type { WebhookTestStore } from '../registry/webhook-tests.js';
import type { ConfiguredToken } from './auth.js';
import type { JsonSchema, OpenApiDocument, OpenApiPaths } from './openapi.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The route needs no API token (health, metrics, signing key, OpenAPI). */
    public?: boolean;
    /** The name of the route's surface (surfaces/), set by buildApp: its errors are in that surface's body. */
    surface?: string;
  }
}

/** The public half of the signing key, served to receivers. */
export interface PublicSigningKey {
  readonly alg: 'ed25519';
  /** `sha512:<hex>` of the raw public key. */
  readonly keyid: string;
  readonly public_key_pem: string;
}

/** What was delivered, and the actions that send deliveries again (the deliveries and dead-letter routes). */
export interface DeliveryLogDeps {
  readonly attempts: AttemptLogReader;
  readonly deadLetters: DeadLetterStore;
  /** Queues a delivery of the attempt log again: same delivery id, fresh attempts. */
  readonly redeliver: (project: string, deliveryId: string) => Promise<RedeliverResult>;
  /** Queues one dead letter again with fresh attempts; null when it does not exist. */
  readonly redriveDeadLetter: (project: string, deliveryId: string) => Promise<DeadLetter | null>;
  /** Queues the dead letters that match; how many it queued and how many match still. */
  readonly redriveDeadLetters: (project: string, filter: RedriveFilter) => Promise<{ queued: number; remaining: number }>;
}

export interface ApiDeps {
  /** Accepted API tokens, at least one; a plain string may touch every project (see project-scope.ts). */
  readonly apiTokens: readonly ConfiguredToken[];
  /** Accept `http://` webhook URLs. */
  readonly allowHttp: boolean;
  readonly registry: Registry;
  readonly webhookTests: WebhookTestStore;
  /** Queues a stored webhook test for sending; job data carries only these ids. */
  readonly enqueueWebhookTest: (project: string, testId: string) => Promise<void>;
  readonly publicKey: PublicSigningKey;
  /** Every configured signing key, the signing one first (rotation); default `[publicKey]`. */
  readonly publicKeys?: readonly PublicSigningKey[];
  /** True when the process can serve (Redis reachable); a throw counts as false. */
  readonly checkReady: () => Promise<boolean>;
  readonly metricsRegistry: MetricsRegistry;
  readonly logger: Logger;
  /** The attempt log and dead letters; without them the deliveries and dead-letter routes are not served. */
  readonly deliveryLog?: DeliveryLogDeps;
  /** The monitoring page's folder (`ui/`); without it `/ui` is not served. */
  readonly uiDir?: string;
}

/** What a route module receives. */
export interface RouteContext {
  readonly deps: ApiDeps;
  /** The app's OpenAPI document (complete once every module is registered). */
  readonly openapi: () => OpenApiDocument;
}

/**
 * A resource's routes. `register` adds them to the app (mark token-free routes with
 * `config: { public: true }`); `openapi` describes them (paths keyed by the full path, with
 * `$ref`s to `#/components/schemas/<name>` of the shared schemas).
 */
export interface RouteModule {
  readonly name: string;
  register(app: FastifyInstance, ctx: RouteContext): void;
  openapi(ctx: RouteContext): OpenApiPaths;
  /** Component schemas the module's paths refer to, beyond the shared ones. */
  components?(ctx: RouteContext): Record<string, JsonSchema>;
}
