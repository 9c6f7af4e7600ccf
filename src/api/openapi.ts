/**
 * OpenAPI 3.1 building blocks: the document's types, JSON Schema from the zod schemas that validate
 * requests (`z.toJSONSchema`, JSON Schema 2020-12, which OpenAPI 3.1 uses as is), `$ref`s and the
 * shared responses. The document itself is put together in openapi-document.ts.
 */
import { z } from 'zod';

export type JsonSchema = Record<string, unknown>;
/** OpenAPI path items keyed by path (`/v2.1/projects/{project_name}/webhooks`). */
export type OpenApiPaths = Record<string, Record<string, unknown>>;

export interface OpenApiDocument {
  readonly openapi: '3.1.0';
  readonly info: { readonly title: string; readonly version: string; readonly description: string };
  readonly components: {
    readonly schemas: Record<string, JsonSchema>;
    readonly securitySchemes: Record<string, unknown>;
  };
  readonly security: readonly Record<string, readonly string[]>[];
  readonly paths: OpenApiPaths;
}

/**
 * The JSON Schema of a request (`io: 'input'`: fields with defaults are optional) or response
 * schema, without `$schema`. Refinements (URL rules, reserved header keys, ...) are checked by zod
 * and not expressed here. Requests refuse unknown fields (`additionalProperties: false`); response
 * schemas leave `additionalProperties` out, so clients generated from them accept fields added later.
 */
export function toJsonSchema(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const { $schema: _ignored, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as JsonSchema;
  return io === 'output' ? (withoutClosedObjects(rest) as JsonSchema) : rest;
}

/** A copy of `node` without any `additionalProperties: false` (maps keep their value schema). */
function withoutClosedObjects(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(withoutClosedObjects);
  if (typeof node !== 'object' || node === null) return node;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'additionalProperties' && value === false) continue;
    out[key] = withoutClosedObjects(value);
  }
  return out;
}

/** `$ref` to a component schema. */
export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** A JSON response of a component schema. */
export const jsonResponse = (description: string, schemaName: string) => ({
  description,
  content: { 'application/json': { schema: ref(schemaName) } },
});

/** The error responses every token-protected operation may give. */
export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [String(s), jsonResponse(ERROR_DESCRIPTIONS[s] ?? 'error', 'Error')]));

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'invalid input ("<field>: <rule>")',
  401: 'missing or invalid API token',
  404: 'not found',
  409: 'name taken',
  413: 'body too large',
  415: 'Content-Type is not application/json',
  503: 'not ready',
};
