import { describe, expect, it } from 'vitest';
import { hasCode, ErrorCode } from '../../../src/errors.js';
import { checkWebhookUrl, parseOrThrow } from '../../../src/api/primitives.js';
import { createApiSchemas, parseLabelFilter } from '../../../src/api/surfaces/ubiops/schemas.js';

describe('API schemas', () => {
  it('parses the labels filter', () => {
    expect(parseLabelFilter('team:ml')).toEqual({ team: 'ml' });
    expect(parseLabelFilter('team:ml,env:prod')).toEqual({ team: 'ml', env: 'prod' });
    expect(parseLabelFilter('url:https://x')).toEqual({ url: 'https://x' });
    expect(parseLabelFilter('k:')).toEqual({ k: '' });
    for (const bad of ['', 'team', ':v', 'a:b,', 'a:b,,c:d']) {
      expect(() => parseLabelFilter(bad), bad).toThrow(/^labels: /);
    }
  });

  it('checks webhook URLs', () => {
    expect(checkWebhookUrl('https://example.com', false)).toBeUndefined();
    expect(checkWebhookUrl('https://example.com:8443/a/b?c=d', false)).toBeUndefined();
    expect(checkWebhookUrl('http://example.com', false)).toMatch(/https/);
    expect(checkWebhookUrl('http://example.com', true)).toBeUndefined();
    expect(checkWebhookUrl('example.com', true)).toMatch(/absolute/);
    expect(checkWebhookUrl('javascript:alert(1)', true)).toMatch(/absolute/);
    expect(checkWebhookUrl('file:///etc/passwd', true)).toMatch(/absolute/);
    expect(checkWebhookUrl('https://a:b@example.com', true)).toMatch(/credentials/);
    expect(checkWebhookUrl('https://example.com/#frag', true)).toMatch(/fragment/);
  });

  it('applies the seed defaults on create', () => {
    const { webhookCreate } = createApiSchemas({ allowHttp: false });
    expect(
      parseOrThrow(webhookCreate, {
        name: 'w',
        url: 'https://example.com',
        object_type: 'pipeline',
        object_name: 'p',
        event: 'pipeline_request_started',
      }),
    ).toEqual({
      name: 'w',
      url: 'https://example.com',
      object_type: 'pipeline',
      object_name: 'p',
      event: 'pipeline_request_started',
      headers: [],
      version: null,
      description: '',
      labels: {},
      timeout: 10,
      enabled: true,
      retry: false,
      include_result: false,
    });
  });

  it('throws a VALIDATION HookpostError naming the field', () => {
    const { webhookUpdate } = createApiSchemas({ allowHttp: false });
    try {
      parseOrThrow(webhookUpdate, { timeout: 40 });
      expect.unreachable();
    } catch (err) {
      expect(hasCode(err, ErrorCode.VALIDATION)).toBe(true);
      expect((err as Error).message).toBe('timeout: must be from 1 to 30');
    }
  });
});
