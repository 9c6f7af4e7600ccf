/**
 * The naive baseline: what a user would write by hand in ~20 lines — a BullMQ worker that signs
 * the job data (RFC 9421, node:crypto) and POSTs it with undici. No matching, no registry, no retries.
 * Env: REDIS_URL, PREFIX, TARGET_URL, KEY_FILE, CONCURRENCY.
 */
import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { request } from 'undici';

const env = process.env;
const key = createPrivateKey(readFileSync(env.KEY_FILE as string));
const raw = createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12);
const keyid = `sha512:${createHash('sha512').update(raw).digest('hex')}`;
const url = new URL(env.TARGET_URL as string);
const connection = new Redis(env.REDIS_URL as string, { maxRetriesPerRequest: null });

new Worker(
  'events',
  async (job) => {
    const body = Buffer.from(JSON.stringify(job.data));
    const digest = `sha-512=:${createHash('sha512').update(body).digest('base64')}:`;
    const created = Math.floor(Date.now() / 1000);
    const date = new Date(created * 1000).toUTCString();
    const params = `("@method" "@authority" "@target-uri" "content-digest" "date");created=${created};keyid="${keyid}";alg="ed25519"`;
    const base = `"@method": POST\n"@authority": ${url.host}\n"@target-uri": ${url.href}\n"content-digest": ${digest}\n"date": ${date}\n"@signature-params": ${params}`;
    const signature = sign(null, Buffer.from(base), key).toString('base64');
    const res = await request(url, {
      method: 'POST',
      body,
      headers: { 'content-type': 'application/json', 'content-digest': digest, date, 'signature-input': `pyhms=${params}`, signature: `pyhms=:${signature}:` },
    });
    await res.body.dump();
    if (res.statusCode >= 400) throw new Error(`HTTP ${res.statusCode}`);
  },
  { connection, prefix: env.PREFIX as string, concurrency: Number(env.CONCURRENCY ?? 64) },
);
process.on('SIGTERM', () => process.exit(0));
