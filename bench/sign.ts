/**
 * Signing throughput, one thread: full `Signer.sign()` calls (Content-Digest + signature base +
 * Ed25519) and Content-Digest alone, for 1 KB and 16 KB bodies, plus receiver-side `verify()` (noble
 * on WebCrypto) for information. Each figure is taken after a warm-up, over a fixed wall-clock window.
 * Run: `npm run build && node dist/bench/sign.js` (about 10 s). Target: >= 20,000 signs/s at 1 KB.
 */
import { generateKeyPairSync, sign } from 'node:crypto';
import { verifyAsync } from '@noble/ed25519';
import { cpus, loadavg } from 'node:os';
import { contentDigest, createSigner, requestTarget, verify } from '../src/signing/index.js';

const loadAtStart = loadavg()
  .map((load) => load.toFixed(2))
  .join(' ');
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

/**
 * Wall-clock rate and CPU time per operation (user + system of this process, all threads). On a
 * shared machine the CPU figure is the steadier one: 1e6 / cpuMicros is the rate of one free core.
 */
interface Rate {
  perSecond: number;
  cpuMicros: number;
}

/** Runs `op` in batches until `durationMs` passes. */
function measureSync(op: () => unknown, durationMs: number): Rate {
  const batch = 200;
  let count = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    for (let i = 0; i < batch; i++) op();
    count += batch;
    elapsed = performance.now() - start;
  }
  return result(count, elapsed, cpuStart);
}

async function measureAsync(op: () => Promise<unknown>, durationMs: number): Promise<Rate> {
  let count = 0;
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  let elapsed = 0;
  while (elapsed < durationMs) {
    await op();
    count++;
    elapsed = performance.now() - start;
  }
  return result(count, elapsed, cpuStart);
}

function result(count: number, elapsedMs: number, cpuStart: NodeJS.CpuUsage): Rate {
  const cpu = process.cpuUsage(cpuStart);
  return { perSecond: (count / elapsedMs) * 1000, cpuMicros: (cpu.user + cpu.system) / count };
}

function rate(op: () => unknown): Rate {
  measureSync(op, WARM_UP_MS);
  return measureSync(op, MEASURE_MS);
}

const rows: string[] = [];
for (const [size, body] of Object.entries(bodies)) {
  const signs = rate(() => signer.sign('POST', target, body));
  const digests = rate(() => contentDigest(body));
  const megabytesPerSecond = (digests.perSecond * body.length) / 1e6;
  rows.push(
    `| ${size} | ${fmt(signs.perSecond)} | ${signs.cpuMicros.toFixed(1)} | ${fmt(1e6 / signs.cpuMicros)} | ${fmt(digests.perSecond)} | ${fmt(megabytesPerSecond)} | ${digests.cpuMicros.toFixed(1)} |`,
  );
}

// Bare Ed25519 over a typical signature base (~480 bytes): the floor that sign() adds its work to.
const typicalBase = Buffer.alloc(480, 0x61);
const bareSigns = rate(() => sign(null, typicalBase, privateKey));

const body1k = bodies['1 KB'];
const headers = { host: target.authority, ...signer.sign('POST', target, body1k) };
const request = { method: 'POST', url: target.targetUri, headers, body: body1k };
const verifyOptions = { publicKey: signer.publicKeyPem };
const check = await verify(request, verifyOptions);
if (!check.ok) throw new Error(`bench request does not verify: ${check.reason}`);
await measureAsync(() => verify(request, verifyOptions), WARM_UP_MS);
const verifies = await measureAsync(() => verify(request, verifyOptions), MEASURE_MS);
const rawPublicKey = privateKey.export({ format: 'jwk' }).x;
const publicKeyBytes = Buffer.from(rawPublicKey ?? '', 'base64url');
const signatureBytes = sign(null, typicalBase, privateKey);
await measureAsync(() => verifyAsync(signatureBytes, typicalBase, publicKeyBytes), WARM_UP_MS);
const nobleVerifies = await measureAsync(
  () => verifyAsync(signatureBytes, typicalBase, publicKeyBytes),
  MEASURE_MS,
);

console.log(`# Signing bench — ${new Date().toISOString()}`);
console.log(`node ${process.version}, ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, one thread\n`);
console.log(`load average at start: ${loadAtStart}\n`);
console.log(
  '| body | sign() per s (wall) | CPU µs per sign() | sign() per CPU-second | Content-Digest per s | digest MB/s | CPU µs per digest |',
);
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const row of rows) console.log(row);
console.log(`\n${line('bare node:crypto Ed25519 sign of a 480-byte base', bareSigns)}`);
console.log(line('verify() (hookpost/verify: @noble/ed25519 + WebCrypto), 1 KB, sequential awaits', verifies));
console.log(line('@noble/ed25519 verifyAsync alone, 480-byte base', nobleVerifies));

function line(name: string, measured: Rate): string {
  return `- ${name}: ${fmt(measured.perSecond)}/s wall, ${measured.cpuMicros.toFixed(1)} CPU µs each (${fmt(1e6 / measured.cpuMicros)} per CPU-second)`;
}

function fmt(value: number): string {
  return Math.round(value).toLocaleString('en-US');
}
