import { describe, expect, it } from 'vitest';
import { selectMatches } from '../../../src/matching/index.js';
import type { Webhook, WebhookEvent } from '../../../src/registry/model.js';

function webhook(over: Partial<Webhook>): Webhook {
  const events = over.events ?? [over.event ?? 'deployment_request_completed'];
  return {
    id: over.name ?? 'w',
    project: 'p',
    name: 'w',
    url: 'https://example.com/hook',
    headers: [],
    object_type: 'deployment',
    object_name: 'd',
    version: 'v1',
    description: '',
    labels: {},
    event: 'deployment_request_completed',
    events,
    secret: null,
    timeout: 10,
    enabled: true,
    retry: false,
    include_result: false,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
    ...over,
  } as Webhook;
}

const names = (ms: ReturnType<typeof selectMatches>) => ms.map((m) => m.webhook.name).sort();
const completed: WebhookEvent[] = ['deployment_request_completed', 'deployment_request_finished'];

describe('selectMatches', () => {
  const all = [
    webhook({ name: 'started', event: 'deployment_request_started' }),
    webhook({ name: 'completed', event: 'deployment_request_completed' }),
    webhook({ name: 'failed', event: 'deployment_request_failed' }),
    webhook({ name: 'finished', event: 'deployment_request_finished' }),
  ];

  it.each([
    [['deployment_request_started'], ['started']],
    [completed, ['completed', 'finished']],
    [['deployment_request_failed', 'deployment_request_finished'], ['failed', 'finished']],
  ] as Array<[WebhookEvent[], string[]]>)('fired %j reaches %j', (fired, expected) => {
    expect(names(selectMatches(all, { version: 'v1' }, fired))).toEqual(expected);
  });

  it('matches the webhook version exactly', () => {
    const hooks = [webhook({ name: 'v1', version: 'v1' }), webhook({ name: 'v2', version: 'v2' })];
    expect(names(selectMatches(hooks, { version: 'v2' }, completed))).toEqual(['v2']);
  });

  it('a webhook without version follows the default version only', () => {
    const hooks = [webhook({ name: 'default', version: null })];
    expect(names(selectMatches(hooks, { version: 'v3', is_default_version: true }, completed))).toEqual(['default']);
    expect(names(selectMatches(hooks, { version: 'v3', is_default_version: false }, completed))).toEqual([]);
    expect(names(selectMatches(hooks, { version: 'v3' }, completed))).toEqual([]);
  });

  it('a versioned webhook fires on its version whether or not it is the default', () => {
    const hooks = [webhook({ name: 'v1', version: 'v1' })];
    expect(names(selectMatches(hooks, { version: 'v1', is_default_version: true }, completed))).toEqual(['v1']);
  });

  it('skips disabled webhooks', () => {
    const hooks = [webhook({ name: 'off', enabled: false }), webhook({ name: 'on' })];
    expect(names(selectMatches(hooks, { version: 'v1' }, completed))).toEqual(['on']);
  });

  it('reports which fired event each webhook listens to', () => {
    const [m] = selectMatches([webhook({ event: 'deployment_request_finished' })], { version: 'v1' }, completed);
    expect(m?.event).toBe('deployment_request_finished');
  });

  it('training runs: a webhook on training-base-deployment with the experiment as version', () => {
    const hooks = [webhook({ name: 'exp', object_name: 'training-base-deployment', version: 'experiment-7' })];
    expect(names(selectMatches(hooks, { version: 'experiment-7' }, completed))).toEqual(['exp']);
  });

  it('one match per (webhook, fired event): a webhook on completed and finished gets two, each with its event', () => {
    const both = webhook({ name: 'both', events: ['deployment_request_finished', 'deployment_request_completed'] });
    const ms = selectMatches([both], { version: 'v1' }, completed);
    expect(ms.map((m) => [m.webhook.name, m.event])).toEqual([
      ['both', 'deployment_request_completed'],
      ['both', 'deployment_request_finished'],
    ]);
    expect(selectMatches([both], { version: 'v1' }, ['deployment_request_started'])).toEqual([]);
  });

  describe('project-wide webhooks', () => {
    const projectWide = (over: Partial<Webhook> = {}) =>
      webhook({ name: 'all', object_type: null, object_name: null, version: null, ...over } as Partial<Webhook>);

    it('hear every version, default or not', () => {
      for (const event of [{ version: 'v1' }, { version: 'v9', is_default_version: false }, { version: 'x', is_default_version: true }]) {
        expect(names(selectMatches([projectWide()], event, completed))).toEqual(['all']);
      }
    });

    it('hear only their events, may mix deployment and pipeline events, and respect enabled', () => {
      const mixed = projectWide({ events: ['pipeline_request_failed', 'deployment_request_started'] });
      expect(selectMatches([mixed], { version: 'v1' }, ['deployment_request_started']).map((m) => m.event)).toEqual([
        'deployment_request_started',
      ]);
      expect(
        selectMatches([mixed], { version: 'v1' }, ['pipeline_request_failed', 'pipeline_request_finished']).map((m) => m.event),
      ).toEqual(['pipeline_request_failed']);
      expect(selectMatches([mixed], { version: 'v1' }, completed)).toEqual([]);
      expect(selectMatches([projectWide({ enabled: false })], { version: 'v1' }, completed)).toEqual([]);
    });
  });
});
