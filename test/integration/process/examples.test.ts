/**
 * The README's examples run as shipped: examples/receiver.mjs verifies a real delivery from local mode
 * (plain http) and rejects a tampered one with 401 and the reason; examples/publish.mjs honours
 * HOOKPOST_REDIS_URL/HOOKPOST_PREFIX and publishes a new event every run.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { LOCAL_DEV_TOKEN } from '../../../config/index.js';
import { createSigner, loadOrCreateLocalKey, requestTarget } from '../../../src/signing/index.js';
import { eventually } from '../../helpers/engine.js';
import { freePort, uniquePrefix } from '../../helpers/index.js';
import { type ChildWorker, spawnChild, spawnWorker, writeSigningKey } from '../../helpers/processes.js';

describe('examples', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });
  const track = (p: ChildWorker) => {
    cleanups.push(() => {
      if (p.proc.exitCode === null && p.proc.signalCode === null) p.proc.kill('SIGKILL');
    });
    return p;
  };

  it('receiver.mjs accepts real deliveries of publish.mjs events and rejects a tampered one', async () => {
    const redisUrl = inject('redisUrl');
    const prefix = uniquePrefix('ex');
    const dataDir = mkdtempSync(join(tmpdir(), 'hookpost-examples-'));
    const apiPort = await freePort();
    const local = track(
      spawnWorker('local', { HOOKPOST_REDIS_URL: redisUrl, HOOKPOST_PREFIX: prefix, HOOKPOST_API_PORT: String(apiPort), HOOKPOST_DATA_DIR: dataDir }),
    );
    await local.waitForLog((l) => l.msg === 'engine started', 60_000);

    const receiverPort = await freePort();
    const receiver = track(
      spawnChild(process.execPath, ['examples/receiver.mjs'], { PORT: String(receiverPort), HOOKPOST_API: `http://127.0.0.1:${apiPort}` }),
    );
    await eventually(() => receiver.stdout().includes('receiver listening'), 60_000, `receiver to listen; stderr: ${receiver.stderr()}`);

    const created = await fetch(`http://127.0.0.1:${apiPort}/v2.1/projects/demo/webhooks`, {
      method: 'POST',
      headers: { authorization: `Token ${LOCAL_DEV_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        name: 'example',
        url: `http://127.0.0.1:${receiverPort}/hook`,
        object_type: 'deployment',
        object_name: 'model-a',
        version: 'v1',
        event: 'deployment_request_completed',
        include_result: true,
      }),
    });
    expect(created.status).toBe(201);

    const publish = async () => {
      const run = spawnChild(process.execPath, ['examples/publish.mjs'], { HOOKPOST_REDIS_URL: redisUrl, HOOKPOST_PREFIX: prefix });
      expect(await run.exited).toBe(0);
      return run.stdout();
    };
    const first = await publish();
    expect(first).toMatch(/^published example-[a-z0-9]+-[0-9a-f]{6}\.completed\n$/);
    await eventually(() => receiver.stdout().includes('accepted deployment_request_completed'), 60_000, 'the delivery to be accepted');
    expect(receiver.stdout()).toContain('"result":{"label":"positive","score":0.93}');
    // A second run is a new request, not a duplicate: it arrives too.
    expect(await publish()).toMatch(/^published /);
    await eventually(() => receiver.stdout().split('accepted ').length === 3, 60_000, 'the second delivery');
    expect(local.logs.filter((l) => l.msg === 'delivery attempted').map((l) => l.status)).toEqual([204, 204]);

    // Signed with hookpost's own key, then tampered with: 401 and the reason.
    const signer = createSigner(loadOrCreateLocalKey(dataDir).key);
    const url = `http://127.0.0.1:${receiverPort}/hook`;
    const body = new TextEncoder().encode('{"event":"deployment_request_completed","request_id":"r-1"}');
    const headers = { 'content-type': 'application/json', ...signer.sign('POST', requestTarget(url), body) };
    const tampered = await fetch(url, { method: 'POST', headers, body: '{"event":"deployment_request_completed","request_id":"r-2"}' });
    expect(tampered.status).toBe(401);
    expect((await tampered.text()).trim()).toBe('digest_mismatch');
    await eventually(() => receiver.stdout().includes('rejected digest_mismatch: '), 60_000, 'the rejection line');
    // The untampered request verifies (so the rejection above is the tampering).
    expect((await fetch(url, { method: 'POST', headers, body })).status).toBe(204);

    local.proc.kill('SIGTERM');
    expect(await local.exited).toBe(0);
  }, 240_000);

  it('receiver.mjs on a port that is taken says so and how to choose another, without a stack trace', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => taken.close(resolve)));
    const port = (taken.address() as { port: number }).port;
    const keyFile = join(mkdtempSync(join(tmpdir(), 'hookpost-examples-')), 'public.pem');
    writeFileSync(keyFile, writeSigningKey().publicKeyPem);
    const second = track(spawnChild(process.execPath, ['examples/receiver.mjs'], { PORT: String(port), HOOKPOST_PUBLIC_KEY_FILE: keyFile }));
    expect(await second.exited).toBe(1);
    expect(second.stderr()).toBe(
      `receiver: port ${port} on 127.0.0.1 is taken (another receiver still running? \`kill %1\` or \`jobs\` shows it). ` +
        `To run another one, choose a free port: PORT=${port + 1} node examples/receiver.mjs, and use http://127.0.0.1:${port + 1}/hook as the webhook's url.\n`,
    );
  });

  it('receiver.mjs without hookpost running says where it looked for the key, without a stack trace', async () => {
    const api = `http://127.0.0.1:${await freePort()}`;
    const receiver = track(spawnChild(process.execPath, ['examples/receiver.mjs'], { PORT: String(await freePort()), HOOKPOST_API: api }));
    expect(await receiver.exited).toBe(1);
    expect(receiver.stderr()).toBe(
      `receiver: cannot fetch the public key from ${api}/v2.1/signing-key (ECONNREFUSED): is hookpost (npm start) running? Set HOOKPOST_API to its address, or HOOKPOST_PUBLIC_KEY_FILE.\n`,
    );
  });
});
