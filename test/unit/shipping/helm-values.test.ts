import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';
import { CHART_DIR, chartFiles, defaultValues, mergeValues, readYaml, type Values, valuesSchema } from './chart.js';

const ajv = new Ajv({ allErrors: true, strict: true, allowUnionTypes: true });
const validate = ajv.compile(valuesSchema());

function errorsOf(values: unknown): string[] {
  return validate(values) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message}`);
}

/** User values as Helm validates them: merged over the chart's defaults. */
const withDefaults = (override: Values) => mergeValues(defaultValues(), override);

describe('values.schema.json', () => {
  it('is a draft-07 schema that rejects unknown top-level and nested keys', () => {
    const schema = valuesSchema();
    expect(schema['$schema']).toBe('http://json-schema.org/draft-07/schema#');
    expect(schema['additionalProperties']).toBe(false);
    const properties = schema['properties'] as Record<string, Record<string, unknown>>;
    for (const key of ['image', 'redis', 'secrets', 'config', 'ports', 'probes', 'api', 'worker', 'serviceMonitor', 'prometheusRule', 'dashboard']) {
      expect(properties[key]?.['additionalProperties'], key).toBe(false);
    }
  });

  it('accepts the chart defaults', () => {
    expect(errorsOf(defaultValues())).toEqual([]);
  });

  it.each(chartFiles('examples', '.yaml'))('accepts %s merged over the defaults', (path) => {
    expect(errorsOf(withDefaults(readYaml(path) as Values))).toEqual([]);
  });

  it('has at least a minimal and a production example', () => {
    expect(chartFiles('examples', '.yaml')).toEqual(
      expect.arrayContaining([`${CHART_DIR}/examples/minimal.yaml`, `${CHART_DIR}/examples/production.yaml`]),
    );
  });

  it.each<[string, Values, string]>([
    ['negative replicas', { worker: { replicas: -1 } }, '/worker/replicas must be >= 0'],
    ['replicas as a string', { api: { replicas: '3' } }, '/api/replicas must be integer'],
    ['fractional replicas', { api: { replicas: 1.5 } }, '/api/replicas must be integer'],
    ['an unknown top-level key', { replicaCount: 2 }, 'must NOT have additional properties'],
    ['a misspelt nested key', { api: { replica: 2 } }, 'must NOT have additional properties'],
    ['an unknown config variable', { config: { concurrency: 10 } }, 'must NOT have additional properties'],
    ['zero concurrency', { worker: { concurrency: 0 } }, '/worker/concurrency must be >= 1'],
    ['concurrency above the config limit', { worker: { concurrency: 10001 } }, '/worker/concurrency must be <= 10000'],
    ['an unknown log level', { config: { logLevel: 'loud' } }, '/config/logLevel must be equal to one of the allowed values'],
    ['a duration without unit', { config: { shutdownTimeout: '30' } }, '/config/shutdownTimeout must match pattern'],
    ['a retry schedule that is not durations', { config: { retrySchedule: '10s,soon' } }, '/config/retrySchedule must match pattern'],
    ['a prefix with a space', { config: { prefix: 'has space' } }, '/config/prefix must match pattern'],
    ['allowHttp as a string', { config: { allowHttp: 'true' } }, '/config/allowHttp must be boolean'],
    ['an http Redis URL', { redis: { url: 'http://redis:6379' } }, '/redis/url must match pattern'],
    ['a Redis URL of an unknown topology', { redis: { url: 'redis+replicas://a:1,b:2' } }, '/redis/url must match pattern'],
    ['zero shards', { config: { shards: 0 } }, '/config/shards must be >= 1'],
    ['shards consumed as a list', { worker: { shardsConsumed: [0, 2] } }, '/worker/shardsConsumed must be string'],
    ['a misspelt redis.auth key', { redis: { auth: { secret: 'redis' } } }, 'must NOT have additional properties'],
    ['a Redis username that would need URL encoding', { redis: { auth: { username: 'a@b' } } }, '/redis/auth/username must match pattern'],
    ['an empty Redis password key', { redis: { auth: { existingSecretPasswordKey: '' } } }, '/redis/auth/existingSecretPasswordKey must NOT have fewer than 1 characters'],
    ['a short API token', { secrets: { apiTokens: ['short'] } }, '/secrets/apiTokens/0 must match pattern'],
    ['API tokens as one string', { secrets: { apiTokens: 'a-token-of-16-chars-or-more' } }, '/secrets/apiTokens must be array'],
    ['an unknown pull policy', { image: { pullPolicy: 'Sometimes' } }, '/image/pullPolicy must be equal to one of the allowed values'],
    ['a port out of range', { ports: { api: 70000 } }, '/ports/api must be <= 65535'],
    ['a non-string dashboard label', { dashboard: { labels: { grafana_dashboard: 1 } } }, '/dashboard/labels/grafana_dashboard must be string'],
    ['a malformed PDB percentage', { worker: { podDisruptionBudget: { maxUnavailable: 'half' } } }, '/worker/podDisruptionBudget/maxUnavailable'],
    ['an unknown probe field', { probes: { liveness: { path: '/x' } } }, 'must NOT have additional properties'],
    ['a negative probe delay', { probes: { readiness: { initialDelaySeconds: -1 } } }, '/probes/readiness/initialDelaySeconds must be >= 0'],
    ['HPA max replicas of zero', { worker: { autoscaling: { maxReplicas: 0 } } }, '/worker/autoscaling/maxReplicas must be >= 1'],
    ['an unknown service type', { api: { service: { type: 'Ingress' } } }, '/api/service/type must be equal to one of the allowed values'],
  ])('rejects %s', (_name, override, message) => {
    expect(errorsOf(withDefaults(override)).join('\n')).toContain(message);
  });
});
