import { type IncomingHttpHeaders, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { ErrorCode, HookpostError } from '../../../src/errors.js';
import {
  SECRET_ROTATION_OVERLAP_MS,
  activeSecrets,
  decodeSecret,
  standardWebhookHeaders,
} from '../../../src/signing/index.js';
import { type StandardWebhookVerifyOptions, verifyStandardWebhook } from '../../../src/signing/verify.js';

// Known answers, computed outside this code with OpenSSL and hard-coded:
//   printf '%s' 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.{"test": 2432232314}' \
//     | openssl dgst -sha256 -mac HMAC -macopt hexkey:$(printf MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw | base64 -d | xxd -p -c 64) -binary | base64
// (the Standard Webhooks libraries' published test vector gives the same value), and for a plain,
// non-ASCII secret used as its UTF-8 bytes:
//   printf '%s' 'delivery-7f3c2a.1767225600.{"event":"deployment_request_completed","request_id":"c0ffee-42"}' \
//     | openssl dgst -sha256 -hmac 'pässwörd-ünïcode' -binary | base64
const WHSEC_VECTOR = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestampSeconds: 1_614_265_330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const PLAIN_VECTOR = {
  secret: 'pässwörd-ünïcode',
  id: 'delivery-7f3c2a',
  timestampSeconds: 1_767_225_600,
  body: '{"event":"deployment_request_completed","request_id":"c0ffee-42"}',
  signature: 'v1,AMCiIYzCBVzR2CAh4qDANG1LQzo7lrky6prdK2v+l90=',
};

const NEW_SECRET = 'whsec_bmV3LXNlY3JldC1ieXRlcy1mb3ItaG9va3Bvc3Qh';
const OLD_SECRET = 'whsec_b2xkLXNlY3JldC1ieXRlcy1mb3ItaG9va3Bvc3Qh';
const OTHER_SECRET = 'whsec_b3RoZXItc2VjcmV0LW5vYm9keS1zZW50LXdpdGg=';
const BODY = '{"event":"deployment_request_completed","deployment_name":"model-a","request_id":"c0ffee-42"}';
const DELIVERY_ID = '6f1c9b2e-5d0a-4c1e-9d55-0f3a2b7c8e91';

const nowSeconds = (): number => Math.floor(Date.now() / 1000);
const clockAt = (unixSeconds: number) => () => unixSeconds * 1000;

/** Signs BODY (or `body`) now with our sender; the reference library reads the real clock, so tests using it sign now. */
function signNow(secrets: readonly string[], body = BODY, timestampSeconds = nowSeconds()) {
  const headers = standardWebhookHeaders({
    id: DELIVERY_ID,
    timestampSeconds,
    body: Buffer.from(body),
    secrets: secrets.map(decodeSecret),
  });
  return { headers: { ...headers } as Record<string, string>, body };
}

/** What the reference library says: 'verified', or the message of its WebhookVerificationError. */
function referenceVerdict(webhook: Webhook, body: string, headers: Record<string, string>): string {
  try {
    webhook.verify(body, headers, { jsonParse: false });
    return 'verified';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('Standard Webhooks: known-answer vectors', () => {
  it.each([
    ['a whsec_ secret (decoded base64)', WHSEC_VECTOR],
    ['a plain non-ASCII secret (its UTF-8 bytes)', PLAIN_VECTOR],
  ])('the sender reproduces the OpenSSL signature for %s, and the verifier accepts it', async (_, vector) => {
    const headers = standardWebhookHeaders({
      id: vector.id,
      timestampSeconds: vector.timestampSeconds,
      body: Buffer.from(vector.body),
      secrets: [decodeSecret(vector.secret)],
    });
    expect(headers).toEqual({
      'webhook-id': vector.id,
      'webhook-timestamp': String(vector.timestampSeconds),
      'webhook-signature': vector.signature,
    });
    const result = await verifyStandardWebhook(
      { headers: { ...headers }, body: vector.body },
      { secret: vector.secret, now: clockAt(vector.timestampSeconds + 10) },
    );
    expect(result).toEqual({ ok: true, id: vector.id, timestamp: vector.timestampSeconds });
  });

  it('the reference library signs the whsec_ vector the same way', () => {
    const signature = new Webhook(WHSEC_VECTOR.secret).sign(
      WHSEC_VECTOR.id,
      new Date(WHSEC_VECTOR.timestampSeconds * 1000),
      WHSEC_VECTOR.body,
    );
    expect(signature).toBe(WHSEC_VECTOR.signature);
  });

  it('the reference library needs a plain secret as its UTF-8 bytes with format "raw"', () => {
    const { id, timestampSeconds, body, secret, signature } = PLAIN_VECTOR;
    const at = new Date(timestampSeconds * 1000);
    // Given its UTF-8 bytes, it agrees with OpenSSL and with our sender.
    expect(new Webhook(Buffer.from(secret, 'utf8'), { format: 'raw' }).sign(id, at, body)).toBe(signature);
    // Given the string with format "raw" it takes UTF-16 code units as bytes (Latin-1 for these
    // characters), not UTF-8, so a non-ASCII plain secret gives another signature.
    expect(new Webhook(secret, { format: 'raw' }).sign(id, at, body)).not.toBe(signature);
    // Given the string alone, it reads any secret as base64 (with or without "whsec_"): wrong bytes or an error.
    const asBase64 = (): string => new Webhook('plainsecretword1').sign(id, at, body);
    expect(asBase64()).not.toBe(
      standardWebhookHeaders({ id, timestampSeconds, body: Buffer.from(body), secrets: [decodeSecret('plainsecretword1')] })[
        'webhook-signature'
      ],
    );
  });
});

describe('Standard Webhooks: the reference library verifies what hookpost sends', () => {
  it('with a whsec_ secret', () => {
    const { headers, body } = signNow([NEW_SECRET]);
    expect(referenceVerdict(new Webhook(NEW_SECRET), body, headers)).toBe('verified');
    expect(new Webhook(NEW_SECRET).verify(body, headers)).toEqual(JSON.parse(BODY));
  });

  it('with a plain secret, passed to it as UTF-8 bytes in "raw" format', () => {
    const plain = 'hookpost-plain-secret-ä';
    const { headers, body } = signNow([plain]);
    expect(referenceVerdict(new Webhook(Buffer.from(plain, 'utf8'), { format: 'raw' }), body, headers)).toBe('verified');
  });

  it('during a rotation: two signatures, new first, and either secret verifies; a third does not', async () => {
    const rotatedAt = new Date(Date.now() - 60_000).toISOString();
    const secrets = activeSecrets({ current: NEW_SECRET, previous: OLD_SECRET, rotatedAt }, Date.now());
    expect(secrets).toEqual([NEW_SECRET, OLD_SECRET]);
    const { headers, body } = signNow(secrets);
    const [first, second, ...rest] = headers['webhook-signature']!.split(' ');
    expect(rest).toEqual([]);
    expect(first).toBe(signNow([NEW_SECRET], body, Number(headers['webhook-timestamp'])).headers['webhook-signature']);
    expect(second).toBe(signNow([OLD_SECRET], body, Number(headers['webhook-timestamp'])).headers['webhook-signature']);

    expect(referenceVerdict(new Webhook(NEW_SECRET), body, headers)).toBe('verified');
    expect(referenceVerdict(new Webhook(OLD_SECRET), body, headers)).toBe('verified');
    expect(referenceVerdict(new Webhook(OTHER_SECRET), body, headers)).toBe('No matching signature found');
    expect(await verifyStandardWebhook({ headers, body }, { secret: NEW_SECRET })).toMatchObject({ ok: true });
    expect(await verifyStandardWebhook({ headers, body }, { secret: OLD_SECRET })).toMatchObject({ ok: true });
    expect(await verifyStandardWebhook({ headers, body }, { secret: OTHER_SECRET })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it.each([
    ['body', (h: Record<string, string>, b: string) => ({ headers: h, body: b.replace('model-a', 'model-b') })],
    ['timestamp', (h: Record<string, string>, b: string) => ({ headers: { ...h, 'webhook-timestamp': String(Number(h['webhook-timestamp']) - 1) }, body: b })],
    ['id', (h: Record<string, string>, b: string) => ({ headers: { ...h, 'webhook-id': `${h['webhook-id']}x` }, body: b })],
  ])('a tampered %s fails in both verifiers', async (_, tamper) => {
    const signed = signNow([NEW_SECRET]);
    const { headers, body } = tamper(signed.headers, signed.body);
    expect(referenceVerdict(new Webhook(NEW_SECRET), body, headers)).toBe('No matching signature found');
    expect(await verifyStandardWebhook({ headers, body }, { secret: NEW_SECRET })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    // The untampered request passes both, so the failures above are the tampering's.
    expect(referenceVerdict(new Webhook(NEW_SECRET), signed.body, signed.headers)).toBe('verified');
    expect(await verifyStandardWebhook(signed, { secret: NEW_SECRET })).toMatchObject({ ok: true });
  });
});

describe('verifyStandardWebhook', () => {
  it('accepts what the reference library signs, with a whsec_ secret and with raw bytes', async () => {
    const at = new Date();
    const timestamp = String(Math.floor(at.getTime() / 1000));
    const signature = new Webhook(NEW_SECRET).sign('msg_reference', at, BODY);
    const headers = { 'webhook-id': 'msg_reference', 'webhook-timestamp': timestamp, 'webhook-signature': signature };
    expect(await verifyStandardWebhook({ headers, body: BODY }, { secret: NEW_SECRET })).toEqual({
      ok: true,
      id: 'msg_reference',
      timestamp: Number(timestamp),
    });

    const raw = new TextEncoder().encode('raw-key-bytes-from-a-vault');
    const rawSignature = new Webhook(Buffer.from(raw), { format: 'raw' }).sign('msg_reference', at, BODY);
    const rawHeaders = { ...headers, 'webhook-signature': rawSignature };
    expect(await verifyStandardWebhook({ headers: rawHeaders, body: BODY }, { secret: raw })).toMatchObject({ ok: true });
    expect(await verifyStandardWebhook({ headers: rawHeaders, body: BODY }, { secret: 'raw-key-bytes-from-a-vault' })).toMatchObject({
      ok: true,
    });
  });

  it('tries every v1 signature against every secret and ignores other versions and junk', async () => {
    const { headers, body } = signNow([NEW_SECRET]);
    const v1 = headers['webhook-signature']!;
    const wrong = signNow([OTHER_SECRET], body, Number(headers['webhook-timestamp'])).headers['webhook-signature']!;
    const listed = {
      ...headers,
      'webhook-signature': `v1a,${'A'.repeat(86)}== v2,${v1.slice(3)} v1,not-base64 ${wrong} ${v1}`,
    };
    expect(await verifyStandardWebhook({ headers: listed, body }, { secret: NEW_SECRET })).toMatchObject({ ok: true });
    expect(await verifyStandardWebhook({ headers: listed, body }, { secrets: [OTHER_SECRET, OLD_SECRET] })).toMatchObject({
      ok: true,
    });
    expect(await verifyStandardWebhook({ headers: listed, body }, { secrets: [OLD_SECRET, NEW_SECRET] })).toMatchObject({
      ok: true,
    });
    expect(await verifyStandardWebhook({ headers: listed, body }, { secrets: [OLD_SECRET] })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
    // The v1 signature moved to another version label is not accepted.
    const relabelled = { ...headers, 'webhook-signature': `v1a,${v1.slice(3)} v2,${v1.slice(3)}` };
    expect(await verifyStandardWebhook({ headers: relabelled, body }, { secret: NEW_SECRET })).toMatchObject({
      ok: false,
      reason: 'bad_signature',
    });
  });

  it('accepts a timestamp up to toleranceSeconds away and rejects one beyond it', async () => {
    const signedAt = 1_767_225_600;
    const { headers, body } = signNow([NEW_SECRET], BODY, signedAt);
    const at = async (seconds: number, toleranceSeconds?: number) =>
      verifyStandardWebhook({ headers, body }, { secret: NEW_SECRET, now: clockAt(seconds), toleranceSeconds });
    expect(await at(signedAt + 300)).toMatchObject({ ok: true });
    expect(await at(signedAt - 300)).toMatchObject({ ok: true });
    expect(await at(signedAt + 301)).toMatchObject({ ok: false, reason: 'timestamp_too_old' });
    expect(await at(signedAt - 301)).toMatchObject({ ok: false, reason: 'timestamp_in_future' });
    expect(await at(signedAt + 30, 10)).toMatchObject({ ok: false, reason: 'timestamp_too_old' });
    expect(await at(signedAt + 3_600, 7_200)).toMatchObject({ ok: true });
  });

  it('throws on a toleranceSeconds that is not a finite number of seconds ≥ 0, or a clock giving NaN (they would skip the timestamp check)', async () => {
    const signedAt = 1_767_225_600;
    const { headers, body } = signNow([NEW_SECRET], BODY, signedAt);
    // A timestamp a year old: any time check at all refuses it.
    const now = clockAt(signedAt + 365 * 86_400);
    for (const toleranceSeconds of [Number.NaN, Number.POSITIVE_INFINITY, -1, '300' as unknown as number]) {
      await expect(verifyStandardWebhook({ headers, body }, { secret: NEW_SECRET, now, toleranceSeconds })).rejects.toThrow(
        /^toleranceSeconds must be a finite number of seconds, 0 or more \(got (NaN|Infinity|-1|"300")\)$/,
      );
    }
    await expect(verifyStandardWebhook({ headers, body }, { secret: NEW_SECRET, now: () => Number.NaN })).rejects.toThrow(
      /^now\(\) must return finite milliseconds since the epoch \(got NaN\)$/,
    );
    expect(await verifyStandardWebhook({ headers, body }, { secret: NEW_SECRET, now, toleranceSeconds: 0 })).toMatchObject({
      ok: false,
      reason: 'timestamp_too_old',
    });
  });

  it('reads headers in any casing, from a plain object, a Fetch Headers and Node IncomingHttpHeaders', async () => {
    const { headers, body } = signNow([NEW_SECRET]);
    const shouting: Record<string, string> = {
      'Webhook-Id': headers['webhook-id']!,
      'WEBHOOK-TIMESTAMP': headers['webhook-timestamp']!,
      'Webhook-Signature': headers['webhook-signature']!,
    };
    expect(await verifyStandardWebhook({ headers: shouting, body }, { secret: NEW_SECRET })).toMatchObject({ ok: true });
    expect(await verifyStandardWebhook({ headers: new Headers(shouting), body }, { secret: NEW_SECRET })).toMatchObject({
      ok: true,
    });

    // A real node:http server: the headers and body exactly as a Node receiver gets them.
    const received = await new Promise<{ headers: IncomingHttpHeaders; body: Buffer }>((resolve, reject) => {
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
          res.writeHead(204).end();
          server.close();
          resolve({ headers: req.headers, body: Buffer.concat(chunks) });
        });
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as AddressInfo;
        fetch(`http://127.0.0.1:${port}/hook`, { method: 'POST', headers: shouting, body }).catch(reject);
      });
    });
    expect(await verifyStandardWebhook(received, { secret: NEW_SECRET })).toMatchObject({ ok: true });
    expect(
      await verifyStandardWebhook({ ...received, body: Buffer.concat([received.body, Buffer.from(' ')]) }, { secret: NEW_SECRET }),
    ).toMatchObject({ ok: false, reason: 'bad_signature' });
  });

  it.each([
    ['webhook-id', 'missing_headers'],
    ['webhook-timestamp', 'missing_headers'],
    ['webhook-signature', 'missing_headers'],
  ])('without %s: %s', async (name, reason) => {
    const { headers, body } = signNow([NEW_SECRET]);
    const { [name]: _, ...rest } = headers;
    expect(await verifyStandardWebhook({ headers: rest, body }, { secret: NEW_SECRET })).toMatchObject({ ok: false, reason });
  });

  it.each([
    ['a timestamp that is not whole seconds', { 'webhook-timestamp': '1767225600.5' }],
    ['a timestamp with a sign', { 'webhook-timestamp': '+1767225600' }],
    ['an id with a "."', { 'webhook-id': 'msg.1' }],
    ['a line break in a header', { 'webhook-id': 'msg\n1' }],
  ])('rejects %s as malformed', async (_, override) => {
    const { headers, body } = signNow([NEW_SECRET]);
    expect(
      await verifyStandardWebhook({ headers: { ...headers, ...override }, body }, { secret: NEW_SECRET }),
    ).toMatchObject({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['no secret', { secrets: [] }],
    ['an empty secret', { secret: '' }],
    ['empty raw bytes', { secret: new Uint8Array(0) }],
    ['"whsec_" alone', { secret: 'whsec_' }],
    ['whsec_ with unpadded base64', { secret: 'whsec_YWJj ZA' }],
  ] as Array<[string, StandardWebhookVerifyOptions]>)('throws a TypeError for %s', async (_, options) => {
    const { headers, body } = signNow([NEW_SECRET]);
    await expect(verifyStandardWebhook({ headers, body }, options)).rejects.toThrow(TypeError);
  });
});

describe('standardWebhookHeaders', () => {
  it('sends webhook-id and webhook-timestamp without a signature when the webhook has no secret', () => {
    const headers = standardWebhookHeaders({ id: DELIVERY_ID, timestampSeconds: 1_767_225_600, body: Buffer.from(BODY), secrets: [] });
    expect(headers).toEqual({ 'webhook-id': DELIVERY_ID, 'webhook-timestamp': '1767225600' });
    expect('webhook-signature' in headers).toBe(false);
  });

  it.each([
    ['an id with "."', { id: 'a.b' }],
    ['an empty id', { id: '' }],
    ['an id with a space', { id: 'a b' }],
    ['a fractional timestamp', { timestampSeconds: 1.5 }],
    ['a timestamp in milliseconds beyond safe integers', { timestampSeconds: 2 ** 53 }],
    ['a negative timestamp', { timestampSeconds: -1 }],
  ])('refuses %s with SIGNING_FAILED', (_, override) => {
    const input = { id: DELIVERY_ID, timestampSeconds: 1_767_225_600, body: Buffer.from(BODY), secrets: [], ...override };
    expect(() => standardWebhookHeaders(input)).toThrow(expect.objectContaining({ code: ErrorCode.SIGNING_FAILED }));
  });
});

describe('decodeSecret', () => {
  it('decodes whsec_ base64 and takes any other string as UTF-8', () => {
    expect(decodeSecret('whsec_aG9va3Bvc3Q=')).toEqual(Buffer.from('hookpost'));
    expect(decodeSecret('hookpost')).toEqual(Buffer.from('hookpost'));
    expect(decodeSecret('ü')).toEqual(Buffer.from([0xc3, 0xbc]));
    // Only the exact lower-case prefix marks a serialized secret.
    expect(decodeSecret('WHSEC_aG9va3Bvc3Q=')).toEqual(Buffer.from('WHSEC_aG9va3Bvc3Q='));
  });

  it.each(['', 'whsec_', 'whsec_aG9va3Bvc3Q', 'whsec_aG9va3Bvc3Q=\n', 'whsec_aG9v*3Bvc3Q=', 'whsec_aG9va3Bvc3R='])(
    'rejects %j with WEBHOOK_SECRET_INVALID',
    (secret) => {
      let thrown: unknown;
      try {
        decodeSecret(secret);
      } catch (err) {
        thrown = err;
      }
      expect(thrown).toBeInstanceOf(HookpostError);
      expect((thrown as HookpostError).code).toBe(ErrorCode.WEBHOOK_SECRET_INVALID);
    },
  );
});

describe('activeSecrets', () => {
  const rotatedAtMs = Date.parse('2026-11-20T12:00:00.000Z');
  const stored = { current: NEW_SECRET, previous: OLD_SECRET, rotatedAt: '2026-11-20T12:00:00.000Z' };

  it('keeps the previous secret, after the current one, for 24 h after the rotation', () => {
    expect(SECRET_ROTATION_OVERLAP_MS).toBe(86_400_000);
    expect(activeSecrets(stored, rotatedAtMs)).toEqual([NEW_SECRET, OLD_SECRET]);
    expect(activeSecrets(stored, rotatedAtMs + SECRET_ROTATION_OVERLAP_MS - 1)).toEqual([NEW_SECRET, OLD_SECRET]);
    expect(activeSecrets(stored, rotatedAtMs + SECRET_ROTATION_OVERLAP_MS)).toEqual([NEW_SECRET]);
  });

  it('uses only the current secret without a previous one or a usable rotation time', () => {
    expect(activeSecrets({ current: NEW_SECRET }, rotatedAtMs)).toEqual([NEW_SECRET]);
    expect(activeSecrets({ current: NEW_SECRET, previous: null, rotatedAt: null }, rotatedAtMs)).toEqual([NEW_SECRET]);
    expect(activeSecrets({ ...stored, rotatedAt: undefined }, rotatedAtMs)).toEqual([NEW_SECRET]);
    expect(activeSecrets({ ...stored, rotatedAt: 'yesterday' }, rotatedAtMs)).toEqual([NEW_SECRET]);
    expect(activeSecrets({ ...stored, previous: NEW_SECRET }, rotatedAtMs)).toEqual([NEW_SECRET]);
  });
});
