/**
 * Signing throughput, one thread: full `Signer.sign()` calls (Content-Digest + signature base +
 * Ed25519), and Content-Digest alone, for 1 KB and 16 KB bodies; bare node:crypto Ed25519 as the
 * floor; receiver-side `verify()` (@noble/ed25519 on WebCrypto) for information. Standard Webhooks
 * headers (HMAC-SHA256 per secret, secrets decoded once) at 1 KB with one secret and with two
 * (a rotation), and the receiver's `verifyStandardWebhook()`.
 *
 * The machine is shared, so every figure is taken in short interleaved rounds after a warm-up and
 * reported as the best round (closest to an idle core) and the median round.
 * Run: `npm run build && node dist/bench/sign.js` (about 15 s). Target: >= 20,000 signs/s at 1 KB.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { cpus, loadavg } from 'node:os';
import { verifyAsync } from '@noble/ed25519';
import {
  contentDigest,
  createSigner,
  decodeSecret,
  requestTarget,
  standardWebhookHeaders,
  verify,
  verifyStandardWebhook,
} from '../src/signing/index.js';

const ROUNDS = 10;
const ROUND_MS = 150;
const WARM_UP_MS = 300;

const { privateKey } = generateKeyPairSync('ed25519');
const signer = createSigner(privateKey);
const target = requestTarget('https://hooks.example.com/webhooks/ubiops?project=demo');
const body1k = jsonBody(1024);
const body16k = jsonBody(16 * 1024);
// Bare Ed25519 over a buffer the size of a typical signature base (~480 bytes).
const typicalBase = Buffer.alloc(480, 0x61);
const signatureBytes = sign(null, typicalBase, privateKey);
const publicKeyBytes = Buffer.from(privateKey.export({ format: 'jwk' }).x ?? '', 'base64url');
const request = {
  method: 'POST',
  url: target.targetUri,
  headers: { host: target.authority, ...signer.sign('POST', target, body1k) },
  body: body1k,
};
const verifyOptions = { publicKey: signer.publicKeyPem };
const webhookSecret = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const secretKeys = [decodeSecret(webhookSecret)];
const rotationKeys = [decodeSecret(webhookSecret), decodeSecret('whsec_b2xkLXNlY3JldC1ieXRlcy1mb3ItaG9va3Bvc3Qh')];
const deliveryId = '6f1c9b2e-5d0a-4c1e-9d55-0f3a2b7c8e91';
const standardWebhookRequest = {
  headers: { ...standardWebhookHeaders({ id: deliveryId, timestampSeconds: nowSeconds(), body: body1k, secrets: secretKeys }) },
  body: body1k,
};
// Far from the signing time is fine: the bench measures the HMAC, not the clock window.
const standardWebhookVerifyOptions = { secret: webhookSecret, toleranceSeconds: 86_400 };

type Op = () => unknown;
const cases: Array<{ name: string; op: Op; bytes?: number; async?: boolean; batch?: number }> = [
  { name: 'sign() 1 KB', op: () => signer.sign('POST', target, body1k) },
  { name: 'sign() 16 KB', op: () => signer.sign('POST', target, body16k) },
  { name: 'bare Ed25519 sign, 480 B (node:crypto)', op: () => sign(null, typicalBase, privateKey) },
  { name: 'Content-Digest sha-512, 1 KB', op: () => contentDigest(body1k), bytes: body1k.length },
  { name: 'Content-Digest sha-512, 16 KB', op: () => contentDigest(body16k), bytes: body16k.length },
  {
    name: 'Standard Webhooks headers 1 KB, 1 secret (HMAC-SHA256)',
    op: () => standardWebhookHeaders({ id: deliveryId, timestampSeconds: nowSeconds(), body: body1k, secrets: secretKeys }),
  },
  {
    name: 'Standard Webhooks headers 1 KB, 2 secrets (rotation)',
    op: () => standardWebhookHeaders({ id: deliveryId, timestampSeconds: nowSeconds(), body: body1k, secrets: rotationKeys }),
  },
  { name: 'verify() 1 KB (hookpost/verify)', op: () => verify(request, verifyOptions), async: true },
  {
    name: 'verifyStandardWebhook() 1 KB (hookpost/verify, WebCrypto)',
    op: () => verifyStandardWebhook(standardWebhookRequest, standardWebhookVerifyOptions),
    async: true,
  },
  { name: '@noble/ed25519 verifyAsync, 480 B', op: () => verifyAsync(signatureBytes, typicalBase, publicKeyBytes), async: true },
];

function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

function jsonBody(bytes: number): Buffer {
  const filler = 'x'.repeat(bytes - '{"event":"deployment_request_completed","result":""}'.length);
  const body = Buffer.from(`{"event":"deployment_request_completed","result":"${filler}"}`);
  if (body.length !== bytes) throw new Error(`body is ${body.length} bytes, expected ${bytes}`);
  return body;
}

/** Operations per second over one round of about `durationMs`. */
async function round(op: Op, isAsync: boolean, durationMs: number, opsPerCall = 1): Promise<number> {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    if (isAsync) {
      await op();
      count += opsPerCall;
    } else {
      for (let i = 0; i < 100; i++) op();
      count += 100;
    }
    elapsed = performance.now() - start;
  }
  return (count / elapsed) * 1000;
}

const check = await verify(request, verifyOptions);
if (!check.ok) throw new Error(`bench request does not verify: ${check.reason}`);
const standardWebhookCheck = await verifyStandardWebhook(standardWebhookRequest, standardWebhookVerifyOptions);
if (!standardWebhookCheck.ok) throw new Error(`bench Standard Webhooks request does not verify: ${standardWebhookCheck.reason}`);

const loadAtStart = loadavg()
  .map((load) => load.toFixed(2))
  .join(' ');
for (const { op, async, batch } of cases) await round(op, async === true, WARM_UP_MS, batch);
const samples = cases.map(() => [] as number[]);
for (let r = 0; r < ROUNDS; r++) {
  for (let c = 0; c < cases.length; c++) {
    const { op, async, batch } = cases[c]!;
    samples[c]!.push(await round(op, async === true, ROUND_MS, batch));
  }
}

console.log(`# Signing bench — ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, one thread`);
console.log(`load average at start: ${loadAtStart}; ${ROUNDS} interleaved rounds of ${ROUND_MS} ms per case\n`);
console.log('| operation | best round, per s | µs per op (best) | median round, per s | MB/s (best) |');
console.log('|---|---:|---:|---:|---:|');
cases.forEach(({ name, bytes }, c) => {
  const sorted = [...samples[c]!].sort((a, b) => a - b);
  const best = sorted[sorted.length - 1]!;
  const median = sorted[Math.floor(sorted.length / 2)]!;
  const megabytes = bytes === undefined ? '' : fmt((best * bytes) / 1e6);
  console.log(`| ${name} | ${fmt(best)} | ${(1e6 / best).toFixed(1)} | ${fmt(median)} | ${megabytes} |`);
});

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
