/**
 * Hostile text at the API (issue 16, point 3, "small"): a lone surrogate where a name goes, bodies
 * that are not UTF-8, and UP42 names with bidirectional or C1 control characters all get a 400
 * naming the field (or the body) and the rule — never a 500, never a misleading Content-Length answer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEST_AUTH as AUTH, TEST_TOKEN, type ApiHarness as Harness, startApi } from '../../helpers/app.js';

const UP42_AUTH = { authorization: `Bearer ${TEST_TOKEN}` };
const hook = {
  name: 'hook',
  url: 'https://receiver.example/in',
  object_type: 'deployment',
  object_name: 'model',
  event: 'deployment_request_completed',
};

let h: Harness;
beforeAll(async () => {
  h = await startApi();
});
afterAll(async () => {
  await h.close();
});

/** Sends `raw` as the JSON body as is (bytes, or text with escapes the test wrote itself). */
const send = (method: 'POST' | 'PATCH' | 'PUT', url: string, raw: string | Buffer, up42 = false) =>
  h.app.inject({ method, url, headers: { ...(up42 ? UP42_AUTH : AUTH), 'content-type': 'application/json' }, payload: raw });

describe('lone surrogates', () => {
  it('in object_name (create, update, webhook test) are a 400 naming the field, in two projects', async () => {
    for (const project of ['alpha', 'beta']) {
      const base = `/v2.1/projects/${project}/webhooks`;
      const create = await send('POST', base, JSON.stringify({ ...hook, object_name: 'model' }).replace('"model"', '"mo\\ud800del"'));
      expect(create.statusCode, create.body).toBe(400);
      expect(create.json().error).toBe('object_name: must be valid Unicode (a lone surrogate such as \\ud800 is not a character)');
      expect((await h.call('POST', base, hook)).statusCode).toBe(201);
      const patch = await send('PATCH', `${base}/hook`, '{"object_name":"\\udc00x"}');
      expect(patch.statusCode, patch.body).toBe(400);
      expect(patch.json().error).toMatch(/^object_name: must be valid Unicode/);
      const test = await send(
        'POST',
        `/v2.1/projects/${project}/webhooks-tests`,
        '{"url":"https://receiver.example/in","object_type":"deployment","object_name":"x\\ud83d","event":"deployment_request_completed"}',
      );
      expect(test.statusCode, test.body).toBe(400);
      expect(test.json().error).toMatch(/^object_name: must be valid Unicode/);
    }
    // A surrogate pair is a character (an emoji): fine.
    const pair = await send('POST', '/v2.1/projects/alpha/webhooks', JSON.stringify({ ...hook, name: 'emoji', object_name: 'model-😀' }));
    expect(pair.statusCode, pair.body).toBe(201);
    expect(h.logs()).not.toContain('"level":50');
  });
});

describe('bodies that are not UTF-8', () => {
  it('get a 400 saying so, on both surfaces, not a Content-Length complaint', async () => {
    const latin1 = Buffer.from(JSON.stringify({ ...hook, name: 'café-hook' }), 'latin1');
    const ubiops = await send('POST', '/v2.1/projects/alpha/webhooks', latin1);
    expect(ubiops.statusCode).toBe(400);
    expect(ubiops.json()).toEqual({ error: 'body: is not valid UTF-8 (JSON must be UTF-8)' });
    const truncated = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xe2, 0x82]), Buffer.from('"}')]);
    const up42 = await send('POST', '/workspaces/alpha/webhooks', truncated, true);
    expect(up42.statusCode).toBe(400);
    expect(up42.json()).toEqual({ data: null, error: { code: 400, message: 'body: is not valid UTF-8 (JSON must be UTF-8)' } });
    // Valid UTF-8 (with a byte order mark) still parses.
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ ...hook, name: 'bom-hook' }))]);
    expect((await send('POST', '/v2.1/projects/alpha/webhooks', bom)).statusCode).toBe(201);
  });
});

describe('UP42 names', () => {
  const up42 = { url: 'https://receiver.example/up42', events: ['deployment_request_completed'], active: true };

  it.each([
    ['right-to-left override', 'invoice\u202Egpj.exe', 'must not contain bidirectional formatting characters (such as U+202E)'],
    ['left-to-right embedding', '\u202Ahook', 'must not contain bidirectional formatting characters (such as U+202E)'],
    ['first-strong isolate', 'hook\u2068x\u2069', 'must not contain bidirectional formatting characters (such as U+202E)'],
    ['right-to-left mark', 'hook\u200F', 'must not contain bidirectional formatting characters (such as U+202E)'],
    ['C1 control (CSI)', 'hook\u009b2J', 'must not contain control characters (U+0080-U+009F)'],
    ['C1 control (NEL)', 'hook\u0085', 'must not contain control characters (U+0080-U+009F)'],
  ])('refuses a %s on create and update', async (what, name, rule) => {
    const created = await h.app.inject({
      method: 'POST',
      url: '/workspaces/gamma/webhooks',
      headers: UP42_AUTH,
      payload: { ...up42, name },
    });
    expect(created.statusCode, created.body).toBe(400);
    expect(created.json().error.message).toBe(`name: ${rule}`);
    const ok = await h.app.inject({
      method: 'POST',
      url: '/workspaces/gamma/webhooks',
      headers: UP42_AUTH,
      payload: { ...up42, name: `Plain ${what}` },
    });
    expect(ok.statusCode).toBe(201);
    const updated = await h.app.inject({
      method: 'PUT',
      url: `/workspaces/gamma/webhooks/${ok.json().data.id}`,
      headers: UP42_AUTH,
      payload: { ...up42, name, secret: null },
    });
    expect(updated.statusCode, updated.body).toBe(400);
    expect(updated.json().error.message).toBe(`name: ${rule}`);
  });

  it('keeps accepting names in any script, with emoji', async () => {
    for (const name of ['Rapport für Ärzte', 'تقرير يومي', '日報 😀', 'Hook — v2']) {
      const res = await h.app.inject({ method: 'POST', url: '/workspaces/delta/webhooks', headers: UP42_AUTH, payload: { ...up42, name } });
      expect(res.statusCode, `${name}: ${res.body}`).toBe(201);
    }
  });
});
