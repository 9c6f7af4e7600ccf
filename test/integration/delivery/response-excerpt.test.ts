/** The client keeps the first 1 KiB of a textual response body for the attempt log (real receivers). */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDeliveryClient } from '../../../src/delivery/client.js';
import { type Receiver, type Reply, startReceiver } from '../../helpers/index.js';

describe('response excerpt', () => {
  const client = createDeliveryClient({ allowHttp: true, allowPrivateTargets: true });
  let reply: Reply = { status: 204 };
  let r: Receiver;
  beforeAll(async () => {
    r = await startReceiver(() => reply);
  });
  afterAll(async () => {
    await client.close({ force: true });
    await r.close();
  });
  const excerptOf = async (next: Reply) => {
    reply = next;
    const outcome = await client.deliverOnce({ origin: r.url, path: '/x', headers: {}, body: Buffer.from('{}'), timeoutMs: 5_000 });
    expect(outcome.status).toBe(next.status);
    return outcome.responseExcerpt;
  };

  it('keeps a textual body, and UTF-8 without a Content-Type', async () => {
    expect(await excerptOf({ status: 200, headers: { 'content-type': 'application/json' }, body: '{"ok":true}' })).toBe('{"ok":true}');
    expect(await excerptOf({ status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: 'upstream broke' })).toBe('upstream broke');
    expect(await excerptOf({ status: 200, body: Buffer.from('ok: grüße') })).toBe('ok: grüße');
    expect(await excerptOf({ status: 204 })).toBeUndefined();
  });

  it('omits binary bodies', async () => {
    const png = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]);
    expect(await excerptOf({ status: 200, headers: { 'content-type': 'image/png' }, body: png })).toBeUndefined();
    expect(await excerptOf({ status: 200, headers: { 'content-type': 'application/octet-stream' }, body: Buffer.from([0xff, 0xfe, 0x00]) })).toBeUndefined();
  });

  it('cuts at 1 KiB without splitting a character', async () => {
    const long = `${'a'.repeat(1_023)}é and more`; // é (2 bytes) straddles byte 1024
    expect(await excerptOf({ status: 200, headers: { 'content-type': 'text/plain' }, body: long })).toBe('a'.repeat(1_023));
    const exact = `${'b'.repeat(1_022)}é${'c'.repeat(5_000)}`; // é fills bytes 1023-1024
    expect(await excerptOf({ status: 200, body: exact })).toBe(`${'b'.repeat(1_022)}é`);
    expect(Buffer.byteLength((await excerptOf({ status: 200, body: 'z'.repeat(70_000) })) ?? '')).toBe(1_024);
  });
});
