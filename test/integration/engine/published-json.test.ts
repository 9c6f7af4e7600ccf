/**
 * Events arrive as they were published, or are refused naming the field and the rule. The job data
 * is written as raw bytes into the BullMQ job hash (HSET of its `data` field), exactly as a producer
 * in another language leaves it, and a real receiver says what arrived.
 *
 * The bytes are those Python writes: `json.dumps(event)` (ASCII, `\uXXXX` escapes, `", "` and `": "`
 * separators) for a file name read with `os.fsdecode` (surrogateescape: byte 0xE9 of a Latin-1 name
 * becomes the lone surrogate U+DCE9), or the same text encoded with `errors="surrogateescape"` (the raw
 * byte 0xE9 again, which is not UTF-8); `2**63 - 1` is written as its digits.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { MAX_EVENT_DEPTH } from '../../../src/events/index.js';
import { buildProcessApp } from '../../../src/lifecycle/run.js';
import { eventually, metricValue, startTestEngine, type TestEngine, verifyRecorded } from '../../helpers/engine.js';
import { type Receiver, startReceiver } from '../../helpers/index.js';

/** A Python-style event text (`json.dumps` separators) with `result` given as raw JSON text. */
function pythonEvent(requestId: string, resultJson: string, extra = ''): string {
  return (
    `{"project": "demo", "object_type": "deployment", "object_name": "model", "version": "v1", ` +
    `"request_id": "${requestId}", "status": "completed"${extra}, "result": ${resultJson}}`
  );
}

/** The `result` member of a delivered payload, as the bytes the receiver got. */
function resultText(body: Buffer): string {
  const text = body.toString('utf8');
  const start = text.indexOf('"result":') + '"result":'.length;
  const end = text.lastIndexOf(',"text":');
  return text.slice(start, end);
}

describe('events written raw into the job hash, as producers in other languages write them', () => {
  let t: TestEngine;
  let receiver: Receiver;
  let raw: Queue;
  let redis: Redis;

  beforeEach(async () => {
    t = await startTestEngine(inject('redisUrl'));
    receiver = await startReceiver();
    raw = new Queue(t.services.config.eventsQueue, { connection: { url: inject('redisUrl') }, prefix: t.services.config.prefix });
    redis = new Redis(inject('redisUrl'));
    await t.createWebhook({ url: `${receiver.url}/hook`, include_result: true, retry: true });
  });
  afterEach(async () => {
    await redis.quit();
    await raw.close();
    await t.close();
    await receiver.close();
  });

  const jobKey = (id: string) => `${t.services.config.prefix}:${t.services.config.eventsQueue}:${id}`;

  /** Adds a job, then replaces its data with `data` (bytes as given) before any worker takes it. */
  async function publishRaw(jobs: Record<string, string | Buffer>): Promise<void> {
    await raw.pause();
    for (const [id, data] of Object.entries(jobs)) {
      await raw.add('python', { placeholder: true }, { jobId: id });
      await redis.hset(jobKey(id), 'data', data);
    }
    await raw.resume();
  }

  const refusedOnce = async (id: string, reason: string) => {
    expect(await t.settled(id, 20_000), id).toBe('failed');
    const [failedReason, attemptsMade] = await redis.hmget(jobKey(id), 'failedReason', 'atm');
    expect(failedReason, id).toBe(`invalid event: ${reason}`);
    expect(attemptsMade, id).toBe('1');
    expect(t.logs.filter((l) => l.jobId === id)).toEqual([
      expect.objectContaining({ msg: 'invalid event rejected', level: 40, error: reason }),
    ]);
  };

  it('integers beyond 2^53 (and every other number) reach the receiver digit for digit, on a first attempt and on a retry', async () => {
    const result =
      '{"max_int64": 9223372036854775807, "min_int64": -9223372036854775808, "u64": 18446744073709551615, ' +
      '"huge": 123456789012345678901234567890, "precise": 0.1000000000000000055511151231257827, "tiny": 1e-400, ' +
      '"exp": 1.5E+300, "neg_zero": -0.0, "ids": [9007199254740993, 9007199254740992], "text": "caf\\u00e9 \\ud83d\\ude00"}';
    await publishRaw({ 'big-ints': pythonEvent('big-ints', result) });
    expect(await t.settled('big-ints', 20_000)).toBe('completed');
    const [first] = await receiver.waitForRequests(1, 20_000);
    expect(resultText(first!.body)).toBe(result);
    expect(await verifyRecorded(first!, t.publicKeyPem)).toMatchObject({ ok: true });
    expect(first!.body.toString('utf8')).toContain('"result":{"max_int64": 9223372036854775807, ');

    // A receiver that fails once: the retry (a deliveries job carrying the event) sends the same digits.
    receiver.setResponder((_r, n) => ({ status: n === 1 ? 500 : 204 }));
    const retried = '[9223372036854775807, 1E400, {"deep": [18446744073709551615]}]';
    await publishRaw({ 'big-retry': pythonEvent('big-retry', retried) });
    const [, failed, retry] = await receiver.waitForRequests(3, 30_000);
    expect(resultText(failed!.body)).toBe(retried);
    expect(resultText(retry!.body)).toBe(retried);
    expect(retry!.headers['hookpost-delivery-id']).toBe(failed!.headers['hookpost-delivery-id']);
    expect(await verifyRecorded(retry!, t.publicKeyPem)).toMatchObject({ ok: true });
  });

  it('a dead letter keeps the text: the API shows the result, a re-drive and a re-delivery send the same digits', async () => {
    receiver.setResponder(() => ({ status: 500 }));
    await t.createWebhook({ url: `${receiver.url}/dead`, include_result: true, retry: false }, 'dl');
    const result = '{"id": 9223372036854775807, "label": "caf\\u00e9"}';
    const json = pythonEvent('dead', result).replace('"project": "demo"', '"project": "dl"');
    await publishRaw({ dead: json });
    expect(await t.settled('dead', 20_000)).toBe('completed');
    const [failed] = await receiver.waitForRequests(1, 20_000);
    expect(resultText(failed!.body)).toBe(result);
    const deliveryId = String(failed!.headers['hookpost-delivery-id']);

    const app = buildProcessApp(t.services);
    try {
      const auth = { authorization: 'Token test-token-0123456789' };
      const letter = await eventually(async () => {
        const res = await app.inject({ method: 'GET', url: `/v2.1/projects/dl/dead-letters/${deliveryId}`, headers: auth });
        return res.statusCode === 200 ? (res.json() as { request_event: Record<string, unknown> }) : undefined;
      });
      // People read the event as published (digits beyond 2^53 are a JSON number there).
      expect(letter.request_event).toMatchObject({ request_id: 'dead', result: { id: 2 ** 63, label: 'café' } });
      expect(Object.keys(letter.request_event)).not.toContain('result_json');

      receiver.setResponder(() => ({ status: 204 }));
      const redrive = await app.inject({ method: 'POST', url: `/v2.1/projects/dl/dead-letters/${deliveryId}/redrive`, headers: auth });
      expect(redrive.statusCode).toBe(202);
      const [, redriven] = await receiver.waitForRequests(2, 20_000);
      expect(redriven!.headers['hookpost-delivery-id']).toBe(deliveryId);
      expect(resultText(redriven!.body)).toBe(result);

      // And again from the attempt log (its kept event).
      const again = await app.inject({ method: 'POST', url: `/v2.1/projects/dl/deliveries/${deliveryId}/redeliver`, headers: auth });
      expect(again.statusCode, again.body).toBe(202);
      const [, , redelivered] = await receiver.waitForRequests(3, 20_000);
      expect(resultText(redelivered!.body)).toBe(result);
      expect(await verifyRecorded(redelivered!, t.publicKeyPem)).toMatchObject({ ok: true });
    } finally {
      await app.close();
    }
  });

  it('a lone surrogate (Python surrogateescape, written as \\udce9) is refused naming the field', async () => {
    await publishRaw({
      'lone-result': pythonEvent('lone-result', '{"files": ["ok.txt", "caf\\udce9.txt"]}'),
      'lone-name': pythonEvent('lone-name', '{}', ', "error_message": "read \\udce9"'),
      'lone-key': pythonEvent('lone-key', '{"caf\\udce9": 1}'),
      'high-alone': pythonEvent('high-alone', '"\\ud83d!"'),
      // A surrogate pair is one character (U+1F600), as Python's ensure_ascii writes it: delivered.
      'pair': pythonEvent('pair', '"\\ud83d\\ude00"'),
    });
    await refusedOnce('lone-result', 'result.files[1]: must be valid Unicode, got a lone surrogate \\udce9');
    await refusedOnce('lone-name', 'error_message: must be valid Unicode, got a lone surrogate \\udce9');
    await refusedOnce('lone-key', 'result["caf\\udce9"]: a key must be valid Unicode, got a lone surrogate \\udce9');
    await refusedOnce('high-alone', 'result: must be valid Unicode, got a lone surrogate \\ud83d');
    expect(await t.settled('pair', 20_000)).toBe('completed');
    const [delivered] = await receiver.waitForRequests(1, 20_000);
    expect(resultText(delivered!.body)).toBe('"\\ud83d\\ude00"');
    expect(receiver.requests).toHaveLength(1);
    expect(await metricValue(t, 'hookpost_events_consumed_total', { outcome: 'invalid' })).toBe(4);
  });

  it('bytes that are not UTF-8 are refused naming the field and the byte; a real U+FFFD is delivered', async () => {
    // Python: json.dumps(event, ensure_ascii=False).encode('utf-8', 'surrogateescape') of a Latin-1 file name.
    const text = pythonEvent('latin1', '{"files": ["caf\u00e9.txt"]}');
    const latin1 = Buffer.from(text, 'latin1');
    const offset = text.indexOf('\u00e9');
    expect(latin1[offset]).toBe(0xe9);
    // A lead byte (0xC3) followed by a byte that cannot continue it.
    const nameText = pythonEvent('bad-name', '1').replace('"model"', '"mod\u00c3el"');
    const badName = Buffer.from(nameText, 'latin1');
    const replacement = pythonEvent('replacement', '"\ufffd is U+FFFD, written as UTF-8"');
    await publishRaw({ latin1, 'bad-name': badName, replacement: Buffer.from(replacement, 'utf8') });
    await refusedOnce('latin1', `result.files[0]: must be valid UTF-8, got the byte 0xe9 at byte ${offset} of the job data`);
    await refusedOnce(
      'bad-name',
      `object_name: must be valid UTF-8, got the byte 0xc3 at byte ${nameText.indexOf('\u00c3')} of the job data`,
    );
    expect(await t.settled('replacement', 20_000)).toBe('completed');
    const [delivered] = await receiver.waitForRequests(1, 20_000);
    expect(resultText(delivered!.body)).toBe('"\ufffd is U+FFFD, written as UTF-8"');
    expect(receiver.requests).toHaveLength(1);
    expect(await metricValue(t, 'hookpost_events_consumed_total', { outcome: 'invalid' })).toBe(2);
  });

  it(`a result nested 10,000 levels deep is refused for its depth (the limit is ${MAX_EVENT_DEPTH} levels), and one at the limit is delivered`, async () => {
    const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
    // The event object is level 1, so its result may nest MAX_EVENT_DEPTH - 1 levels.
    const atLimit = `{"a": ${nested(MAX_EVENT_DEPTH - 2)}}`;
    await publishRaw({
      'ten-thousand': pythonEvent('ten-thousand', nested(10_000)),
      'one-over': pythonEvent('one-over', `{"a": ${nested(MAX_EVENT_DEPTH - 1)}}`),
      'at-limit': pythonEvent('at-limit', atLimit),
    });
    const rule = `must nest at most ${MAX_EVENT_DEPTH} levels of arrays and objects (the event is level 1), got more`;
    await refusedOnce('ten-thousand', `result: ${rule}`);
    await refusedOnce('one-over', `result: ${rule}`);
    expect(await t.settled('at-limit', 20_000)).toBe('completed');
    const [delivered] = await receiver.waitForRequests(1, 20_000);
    expect(resultText(delivered!.body)).toBe(atLimit);
    await eventually(async () => (await metricValue(t, 'hookpost_events_consumed_total', { outcome: 'invalid' })) === 2);
  });
});
