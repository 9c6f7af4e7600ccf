/**
 * The cost of reading an event as published, one thread: what the worker does per event job between
 * BullMQ's JSON.parse and the first attempt — validate, then build the payload with the result.
 *
 * - before: `JSON.stringify` of the whole event (the size check), zod, then `JSON.stringify(result)`
 *   for the payload (what the worker did until the raw text was kept);
 * - after: `validatePublishedEvent` on the stored text (the scanner for `result` and the depth, the
 *   lone-surrogate check when the text holds a `\uD8xx`-`\uDFxx` escape, zod), then the payload with
 *   the result text spliced in;
 * - BullMQ's own `JSON.parse` of the job data, for scale (paid either way).
 *
 * Events: a small one (a 1-field result), 4 KB and 16 KB results (objects of numbers and strings),
 * the 16 KB one as Python's `json.dumps` writes it (separators with spaces, non-ASCII as `\u` escapes
 * with surrogate pairs: the walk runs), and a 1 MiB one. The machine is shared, so each figure is taken
 * in short interleaved rounds after a warm-up and reported as the best round and the median round.
 * Run: `npm run build && node dist/bench/event-json.js` (about 20 s).
 */
import { cpus, loadavg } from 'node:os';
import { type RequestEvent, requestEventSchema, validatePublishedEvent } from '../src/events/index.js';
import { checkEventText } from '../src/events/json-text.js';
import { createPayloadBuilder } from '../src/payload/index.js';

const ROUNDS = 10;
const ROUND_MS = 150;
const WARM_UP_MS = 300;

const FIELDS = {
  project: 'demo',
  object_type: 'deployment',
  object_name: 'model-a',
  object_id: '0b7d2b8e-7f3c-4c55-9d6f-0e8c9b1a2f30',
  version: 'v1',
  version_id: '6a1f4e2c-1d3b-4f5a-8e7d-9c0b1a2d3e4f',
  is_default_version: true,
  request_id: 'req-42',
  status: 'completed',
};

/** A result of about `bytes` of compact JSON: predictions with scores, labels and ids. */
function resultOf(bytes: number): unknown {
  const items: unknown[] = [];
  let size = 2;
  for (let i = 0; size < bytes; i++) {
    const item = { id: 1_000_000 + i, label: `class-${i % 17} étiquette`, score: Math.round((i * 7919) % 1000) / 1000, tags: ['a', 'b'] };
    items.push(item);
    size += JSON.stringify(item).length + 1;
  }
  return { model: 'm', predictions: items };
}

/** Python's `json.dumps(event)`: `", "` and `": "`, every non-ASCII character as a `\u` escape. */
function pythonDumps(value: unknown): string {
  return JSON.stringify(value, null, 1)
    .replace(/\n\s*/g, ' ')
    .replace(/\[ /g, '[')
    .replace(/ \]/g, ']')
    .replace(/\{ /g, '{')
    .replace(/ \}/g, '}')
    .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

interface Sample {
  readonly name: string;
  readonly json: string;
  readonly data: unknown;
}

const samples: Sample[] = [];
const add = (name: string, json: string) => samples.push({ name, json, data: JSON.parse(json) });
add('small (result {"label": …})', JSON.stringify({ ...FIELDS, result: { label: 'positive' } }));
add('4 KB result', JSON.stringify({ ...FIELDS, result: resultOf(4_096) }));
add('16 KB result', JSON.stringify({ ...FIELDS, result: resultOf(16_384) }));
add('16 KB result, Python json.dumps + an emoji', pythonDumps({ ...FIELDS, result: { ...(resultOf(16_000) as object), note: '😀' } }));
add('1 MiB result', JSON.stringify({ ...FIELDS, result: resultOf(1_000_000) }));

/** What the worker did per event before: stringify for the size, zod, stringify the result for the payload. */
function before(sample: Sample): number {
  const json = JSON.stringify(sample.data);
  if (Buffer.byteLength(json) > 1_048_576 * 2) throw new Error('too large');
  const parsed = requestEventSchema.safeParse(sample.data, { reportInput: true });
  if (!parsed.success) throw new Error(parsed.error.message);
  return createPayloadBuilder(parsed.data)('deployment_request_completed', true).body.length;
}

async function after(sample: Sample): Promise<number> {
  const checked = await validatePublishedEvent(sample.json, sample.data, { maxBytes: 1_048_576 * 2 });
  if (!checked.ok) throw new Error(checked.error);
  return createPayloadBuilder(checked.event as RequestEvent)('deployment_request_completed', true).body.length;
}

type Op = () => unknown;
const cases: Array<{ name: string; op: Op; async?: boolean; bytes: number }> = [];
for (const sample of samples) {
  const bytes = Buffer.byteLength(sample.json);
  cases.push({ name: `${sample.name}: JSON.parse (BullMQ, for scale)`, op: () => JSON.parse(sample.json), bytes });
  cases.push({ name: `${sample.name}: before (stringify + zod + stringify result)`, op: () => before(sample), bytes });
  cases.push({ name: `${sample.name}: after (validatePublishedEvent + spliced result)`, op: () => after(sample), async: true, bytes });
  cases.push({ name: `${sample.name}: the scanner alone (checkEventText)`, op: () => checkEventText(sample.json, sample.data), bytes });
}

/** One round: operations per second of wall time, and CPU µs (user + system) per operation. */
async function round(op: Op, isAsync: boolean, durationMs: number): Promise<{ perSecond: number; cpuMicros: number }> {
  let count = 0;
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < 10; i++) {
      if (isAsync) await op();
      else op();
    }
    count += 10;
    elapsed = performance.now() - start;
  }
  const cpu = process.cpuUsage(cpuStart);
  return { perSecond: (count / elapsed) * 1000, cpuMicros: (cpu.user + cpu.system) / count };
}

// The two paths must give the same payload where the text is compact JSON.
for (const sample of samples.slice(0, 3)) {
  if (before(sample) !== (await after(sample))) throw new Error(`${sample.name}: payloads differ`);
}

const loadAtStart = loadavg()
  .map((load) => load.toFixed(2))
  .join(' ');
for (const { op, async } of cases) await round(op, async === true, WARM_UP_MS);
const results = cases.map(() => [] as number[]);
const cpuResults = cases.map(() => [] as number[]);
for (let r = 0; r < ROUNDS; r++) {
  for (let c = 0; c < cases.length; c++) {
    const { op, async } = cases[c]!;
    const { perSecond, cpuMicros } = await round(op, async === true, ROUND_MS);
    results[c]!.push(perSecond);
    cpuResults[c]!.push(cpuMicros);
  }
}

console.log(`# Event JSON bench — ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, one thread`);
console.log(`load average at start: ${loadAtStart}; ${ROUNDS} interleaved rounds of ${ROUND_MS} ms per case\n`);
console.log('| event: operation | bytes | µs per event (best round) | µs (median round) | CPU µs per event (median round) |');
console.log('|---|---:|---:|---:|---:|');
cases.forEach(({ name, bytes }, c) => {
  const sorted = [...results[c]!].sort((a, b) => a - b);
  const best = sorted[sorted.length - 1]!;
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const cpu = [...cpuResults[c]!].sort((a, b) => a - b)[Math.floor(ROUNDS / 2)]!;
  console.log(`| ${name} | ${bytes.toLocaleString('en-US')} | ${us(1e6 / best)} | ${us(1e6 / median)} | ${us(cpu)} |`);
});

function us(micros: number): string {
  return micros < 10 ? micros.toFixed(2) : micros < 100 ? micros.toFixed(1) : Math.round(micros).toLocaleString('en-US');
}
