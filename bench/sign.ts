/**
 * Signing throughput, one thread: full `Signer.sign()` calls (Content-Digest + signature base +
 * Ed25519) and Content-Digest alone, for 1 KB and 16 KB bodies, plus receiver-side `verify()` (noble
 * on WebCrypto) for information. Each figure is taken after a warm-up, over a fixed wall-clock window.
 * Run: `npm run build && node dist/bench/sign.js` (about 10 s). Target: >= 20,000 signs/s at 1 KB.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { verifyAsync } from '@noble/ed25519';
import { cpus } from 'node:os';
import { contentDigest, createSigner, requestTarget, verify } from '../src/signing/index.js';

const WARM_UP_MS = 300;
const MEASURE_MS = 1_500;

const { privateKey } = generateKeyPairSync('ed25519');
const signer = createSigner(privateKey);
const target = requestTarget('https://hooks.example.com/webhooks/ubiops?project=demo');
const bodies = { '1 KB': jsonBody(1024), '16 KB': jsonBody(16 * 1024) } as const;

function jsonBody(bytes: number): Buffer {
  const filler = 'x'.repeat(bytes - '{"event":"deployment_request_completed","result":""}'.length);
  const body = Buffer.from(`{"event":"deployment_request_completed","result":"${filler}"}`);
  if (body.length !== bytes) throw new Error(`body is ${body.length} bytes, expected ${bytes}`);
  return body;
}

/** Runs `op` in batches until `durationMs` passes; returns operations per second. */
function measureSync(op: () => unknown, durationMs: number): number {
  const batch = 200;
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < batch; i++) op();
    count += batch;
    elapsed = performance.now() - start;
  }
  return (count / elapsed) * 1000;
}

async function measureAsync(op: () => Promise<unknown>, durationMs: number): Promise<number> {
  let count = 0;
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    await op();
    count++;
    elapsed = performance.now() - start;
  }
  return (count / elapsed) * 1000;
}

function rate(op: () => unknown): number {
  measureSync(op, WARM_UP_MS);
  return measureSync(op, MEASURE_MS);
}

const rows: string[] = [];
for (const [size, body] of Object.entries(bodies)) {
  const signsPerSecond = rate(() => signer.sign('POST', target, body));
  const digestsPerSecond = rate(() => contentDigest(body));
  const megabytesPerSecond = (digestsPerSecond * body.length) / 1e6;
  rows.push(
    `| ${size} | ${fmt(signsPerSecond)} | ${(1e6 / signsPerSecond).toFixed(1)} | ${fmt(digestsPerSecond)} | ${fmt(megabytesPerSecond)} |`,
  );
}

// Bare Ed25519 over a typical signature base (~480 bytes): the floor that sign() adds its work to.
const typicalBase = Buffer.alloc(480, 0x61);
const bareSignsPerSecond = rate(() => sign(null, typicalBase, privateKey));

const body1k = bodies['1 KB'];
const headers = { host: target.authority, ...signer.sign('POST', target, body1k) };
const request = { method: 'POST', url: target.targetUri, headers, body: body1k };
const verifyOptions = { publicKey: signer.publicKeyPem };
const check = await verify(request, verifyOptions);
if (!check.ok) throw new Error(`bench request does not verify: ${check.reason}`);
await measureAsync(() => verify(request, verifyOptions), WARM_UP_MS);
const verifiesPerSecond = await measureAsync(() => verify(request, verifyOptions), MEASURE_MS);
const rawPublicKey = privateKey.export({ format: 'jwk' }).x;
const publicKeyBytes = Buffer.from(rawPublicKey ?? '', 'base64url');
const signatureBytes = sign(null, typicalBase, privateKey);
await measureAsync(() => verifyAsync(signatureBytes, typicalBase, publicKeyBytes), WARM_UP_MS);
const nobleVerifiesPerSecond = await measureAsync(
  () => verifyAsync(signatureBytes, typicalBase, publicKeyBytes),
  MEASURE_MS,
);

console.log(`# Signing bench — ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, one thread\n`);
console.log('| body | sign() per s | µs per sign() | Content-Digest per s | digest MB/s |');
console.log('|---|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
console.log(`\nbare node:crypto Ed25519 sign of a 480-byte base (same run): ${fmt(bareSignsPerSecond)}/s`);
console.log(`\nverify() (hookpost/verify, @noble/ed25519 + WebCrypto), 1 KB, sequential awaits: ${fmt(verifiesPerSecond)}/s`);
console.log(`@noble/ed25519 verifyAsync alone, same base: ${fmt(nobleVerifiesPerSecond)}/s`);

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
