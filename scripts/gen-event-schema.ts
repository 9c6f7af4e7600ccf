/**
 * Generates `config/event.schema.json` (the producer event's JSON Schema, for non-Node producers)
 * from the zod schema in src/events/schema.ts, so the two cannot drift.
 * Run from the repository root: `npm run build && node dist/scripts/gen-event-schema.js`.
 * test/unit/events/event-json-schema.test.ts fails when the committed file differs from its output.
 */
import { writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { requestEventSchema } from '../src/events/schema.js';

/** Where the schema is committed, relative to the repository root. */
export const EVENT_SCHEMA_FILE = 'config/event.schema.json';

/** The JSON Schema text (2-space indented, trailing newline) that belongs in config/event.schema.json. */
export function renderEventJsonSchema(): string {
  const generated = z.toJSONSchema(requestEventSchema, { io: 'input', target: 'draft-2020-12' });
  const { $schema, ...rest } = generated;
  const schema = {
    $schema,
    $id: 'https://github.com/hookpost/hookpost/config/event.schema.json',
    title: 'hookpost producer event',
    ...rest,
    description:
      'One job per request status transition, pushed as BullMQ job data onto the queue `hookpost:events` ' +
      'with job id `<request_id>.<status>`. Unknown fields are ignored. The serialized event may be at most ' +
      '1 MiB (1,048,576 bytes of UTF-8 JSON).',
  };
  return `${JSON.stringify(schema, null, 2)}\n`;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const path = resolve(process.cwd(), EVENT_SCHEMA_FILE);
  writeFileSync(path, renderEventJsonSchema());
  console.log(`wrote ${path}`);
}
