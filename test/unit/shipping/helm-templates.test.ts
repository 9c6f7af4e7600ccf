import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig, parseDurationMs } from '../../../config/index.js';
import { ALERTS_FILE, DASHBOARD_FILE, readRepoFile } from '../../helpers/metric-names.js';
import {
  blockProblems,
  CHART_DIR,
  chartFiles,
  definedTemplateNames,
  defaultValues,
  hookpostVariablesIn,
  mergeValues,
  readYaml,
  renderConfigMapData,
  schemaDeclares,
  templates,
  usedTemplateNames,
  type Values,
  valueAt,
  valuePathsIn,
  valuesSchema,
} from './chart.js';

const all = templates();
const template = (name: string) => all.get(`${CHART_DIR}/templates/${name}`) ?? '';

/** Defaults plus each example, as Helm would merge them. */
const valueSets: [string, Values][] = [
  ['values.yaml', defaultValues()],
  ...chartFiles('examples', '.yaml').map((path): [string, Values] => [path, mergeValues(defaultValues(), readYaml(path)) as Values]),
];

/**
 * The environment a worker container gets for these values: the ConfigMap, the Deployment's own
 * env, and Secrets (a stand-in token; the Redis URL of values when it comes from a Secret).
 */
function workerEnvironment(values: Values): Record<string, string> {
  const env = renderConfigMapData(values, all);
  env['HOOKPOST_API_TOKENS'] = 'a-token-of-at-least-16-characters';
  if (valueAt(values, 'redis.existingSecret') || valueAt(values, 'redis.auth.existingSecret')) env['HOOKPOST_REDIS_URL'] = String(valueAt(values, 'redis.url'));
  env['HOOKPOST_CONCURRENCY'] = String(valueAt(values, 'worker.concurrency'));
  return env;
}

describe('Helm chart files', () => {
  it.each([...chartFiles('', '.yaml'), ...chartFiles('examples', '.yaml'), ...chartFiles('rules', '.yml')])('%s parses as YAML', (path) => {
    expect(() => readYaml(path)).not.toThrow();
    expect(readYaml(path)).toBeTypeOf('object');
  });

  it('Chart.yaml is an application chart whose appVersion is the package version', () => {
    const chart = readYaml(`${CHART_DIR}/Chart.yaml`) as Record<string, string>;
    const pkg = JSON.parse(readRepoFile('package.json')) as { version: string };
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'hookpost', type: 'application', appVersion: pkg.version });
  });

  it('carries an identical copy of the Grafana dashboard', () => {
    expect(readRepoFile(`${CHART_DIR}/dashboards/hookpost.json`)).toBe(readRepoFile(DASHBOARD_FILE));
  });

  it('carries an identical copy of the alert rules', () => {
    expect(readRepoFile(`${CHART_DIR}/rules/alerts.yml`)).toBe(readRepoFile(ALERTS_FILE));
  });

  it('reads the copies it carries with .Files.Get', () => {
    expect(template('dashboard-configmap.yaml')).toContain('.Files.Get "dashboards/hookpost.json"');
    expect(template('prometheusrule.yaml')).toContain('.Files.Get "rules/alerts.yml"');
  });
});

describe('Helm templates', () => {
  it('has the expected templates', () => {
    expect([...all.keys()].map((p) => p.slice(`${CHART_DIR}/templates/`.length))).toEqual(
      expect.arrayContaining([
        '_helpers.tpl',
        'NOTES.txt',
        'configmap.yaml',
        'secret.yaml',
        'deployment-api.yaml',
        'deployment-worker.yaml',
        'service-api.yaml',
        'service-worker-metrics.yaml',
        'pdb.yaml',
        'hpa.yaml',
        'servicemonitor.yaml',
        'prometheusrule.yaml',
        'dashboard-configmap.yaml',
      ]),
    );
  });

  it.each([...all.keys()])('%s: every block is closed', (path) => {
    expect(blockProblems(all.get(path) ?? '')).toEqual([]);
  });

  it.each([...all.keys()])('%s: includes only defined templates', (path) => {
    const defined = definedTemplateNames(all);
    for (const name of usedTemplateNames(all.get(path) ?? '')) expect(defined, `${path} includes "${name}"`).toContain(name);
  });

  it.each([...all.keys()])('%s: reads only values the schema declares', (path) => {
    const schema = valuesSchema();
    const source = all.get(path) ?? '';
    const paths = valuePathsIn(source);
    // Values reached through a per-component variable exist for both components.
    for (const [variable, key] of [['$autoscaling', 'autoscaling'], ['$pdb', 'podDisruptionBudget']] as const) {
      for (const m of source.matchAll(new RegExp(`\\${variable}((?:\\.\\w+)+)`, 'g'))) {
        paths.push(`api.${key}${m[1]}`, `worker.${key}${m[1]}`);
      }
    }
    for (const p of paths) expect(schemaDeclares(schema, p), `${path}: .Values.${p}`).toBe(true);
  });

  it('the value-path check notices an undeclared path', () => {
    expect(schemaDeclares(valuesSchema(), 'worker.concurrency')).toBe(true);
    expect(schemaDeclares(valuesSchema(), 'worker.concurency')).toBe(false);
    expect(schemaDeclares(valuesSchema(), 'api.resources.requests.cpu')).toBe(true);
  });

  it('uses only HOOKPOST_* variables that config/index.ts reads', () => {
    const used = hookpostVariablesIn([...all.values()].join('\n'));
    expect(used.filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
  });

  it('sets every variable config/index.ts reads (add new ones to configmap.yaml and values)', () => {
    const used = hookpostVariablesIn([...all.values()].join('\n'));
    expect(CONFIG_VARIABLES.filter((name) => !used.includes(name))).toEqual([]);
  });

  it('keeps the image entrypoint (tini): containers set args, never command', () => {
    for (const name of ['deployment-api.yaml', 'deployment-worker.yaml']) {
      const source = template(name);
      expect(source).toMatch(/^ {10}args: \["node", "dist\/workers\/(api|worker)\.js"\]$/m);
      expect(source).not.toMatch(/^ {10}command:/m);
    }
    expect(template('deployment-api.yaml')).toContain('dist/workers/api.js');
    expect(template('deployment-worker.yaml')).toContain('dist/workers/worker.js');
  });

  it('probes /healthz for liveness and /readyz for readiness on each role', () => {
    for (const name of ['deployment-api.yaml', 'deployment-worker.yaml']) {
      const source = template(name);
      expect(source).toMatch(/livenessProbe:\n\s+httpGet:\n\s+path: \/healthz/);
      expect(source).toMatch(/readinessProbe:\n\s+httpGet:\n\s+path: \/readyz/);
    }
  });

  it('mounts the signing key from a Secret and a writable /tmp', () => {
    const helpers = template('_helpers.tpl');
    expect(helpers).toMatch(/- name: signing-key\n\s+secret:\n\s+secretName: \{\{ include "hookpost.secretName" \. \}\}/);
    expect(helpers).toMatch(/- name: tmp\n\s+emptyDir:/);
    expect(helpers).toMatch(/mountPath: \/tmp/);
    expect(helpers).toMatch(/name: HOOKPOST_API_TOKENS\n\s+valueFrom:\n\s+secretKeyRef:/);
  });
});

describe('Helm values produce a valid hookpost configuration', () => {
  it.each(valueSets)('%s: the ConfigMap and Secrets give a config loadConfig accepts', (_name, values) => {
    const config = loadConfig(workerEnvironment(values));
    expect(config.prefix).toBe(valueAt(values, 'config.prefix'));
    expect(config.concurrency).toBe(valueAt(values, 'worker.concurrency'));
    expect(config.apiPort).toBe(valueAt(values, 'ports.api'));
    expect(config.metricsPort).toBe(valueAt(values, 'ports.metrics'));
    expect(config.allowHttp).toBe(valueAt(values, 'config.allowHttp'));
    expect(config.signingKeyFile).toBe('/etc/hookpost/signing-key/signing-key.pem');
    expect(config.apiHost).toBe('0.0.0.0');
  });

  it('takes the Redis URL from the Secret, not the ConfigMap, when redis.existingSecret is set', () => {
    const values = mergeValues(defaultValues(), { redis: { existingSecret: 'hookpost-redis' } }) as Values;
    expect(renderConfigMapData(values, all)).not.toHaveProperty('HOOKPOST_REDIS_URL');
    expect(renderConfigMapData(defaultValues(), all)['HOOKPOST_REDIS_URL']).toBe('redis://redis:6379');
  });

  it('leaves the Redis URL out of the ConfigMap when only the password comes from a Secret (redis.auth)', () => {
    const values = mergeValues(defaultValues(), { redis: { auth: { existingSecret: 'redis' } } }) as Values;
    expect(renderConfigMapData(values, all)).not.toHaveProperty('HOOKPOST_REDIS_URL');
    expect(valueAt(defaultValues(), 'redis.auth')).toEqual({ existingSecret: '', existingSecretPasswordKey: 'redis-password', username: '' });
  });

  it.each(valueSets)('%s: terminationGracePeriodSeconds outlasts the shutdown timeout and preStop sleep', (_name, values) => {
    const shutdownMs = parseDurationMs(String(valueAt(values, 'config.shutdownTimeout'))) ?? Number.NaN;
    const preStopMs = Number(valueAt(values, 'api.preStopSleepSeconds')) * 1000;
    expect(Number(valueAt(values, 'terminationGracePeriodSeconds')) * 1000).toBeGreaterThan(shutdownMs + preStopMs);
  });

  it('defaults to the documented secure settings', () => {
    const values = defaultValues();
    expect(valueAt(values, 'terminationGracePeriodSeconds')).toBe(45);
    expect(valueAt(values, 'config.allowHttp')).toBe(false);
    expect(valueAt(values, 'config.allowPrivateTargets')).toBe(false);
    expect(valueAt(values, 'podSecurityContext')).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
    expect(valueAt(values, 'securityContext')).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      capabilities: { drop: ['ALL'] },
    });
    expect(valueAt(values, 'dashboard.labels')).toEqual({ grafana_dashboard: '1' });
  });

  it.each(chartFiles('examples', '.yaml'))('%s names an existing Secret or shows how to pass the key', (path) => {
    const values = readYaml(path) as Values;
    if (valueAt(values, 'secrets.existingSecret')) return;
    expect(valueAt(values, 'secrets.apiTokens')).not.toEqual([]);
    expect(readRepoFile(path)).toContain('--set-file secrets.signingKey=');
  });
});
