/**
 * Renders the chart with helm-render/ (Go text/template, the engine Helm uses, with the Sprig
 * functions the chart calls) and checks the manifests. There is no helm binary on the build
 * machines; this needs `go` (standard library only, so it builds offline): skipped without it,
 * failed without it when CI=true.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../config/index.js';
import { ALERTS_FILE, DASHBOARD_FILE, REPO_ROOT, readRepoFile } from '../../helpers/metric-names.js';
import { CHART_DIR, chartFiles, defaultValues, mergeValues, readYaml, type Values } from './chart.js';
import { findTool } from '../../helpers/tools.js';

interface Manifest {
  kind: string;
  metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}
interface Container {
  name: string;
  args?: string[];
  command?: string[];
  env?: { name: string; value?: string; valueFrom?: unknown }[];
  envFrom?: unknown[];
  securityContext?: Record<string, unknown>;
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  volumeMounts?: { name: string; mountPath: string }[];
}
interface PodSpec {
  containers: Container[];
  securityContext: Record<string, unknown>;
  terminationGracePeriodSeconds: number;
  automountServiceAccountToken: boolean;
  volumes: { name: string; secret?: { secretName: string; defaultMode: number }; emptyDir?: unknown }[];
}

const go = findTool('go', ['version'], 'golang-go');
/** Only copied into a Secret by the chart; never parsed. */
const TEST_KEY = '-----BEGIN PRIVATE KEY-----\nplaceholder, not a key\n-----END PRIVATE KEY-----\n';

describe.skipIf(go.skip)('Helm chart rendered with Go templates (needs go)', () => {
  let dir = '';
  let binary = '';

  beforeAll(() => {
    // Without go (CI=true) every test fails on its own in render(), with the reason.
    if (!go.installed) return;
    dir = mkdtempSync(join(tmpdir(), 'hookpost-helm-render-'));
    binary = join(dir, 'helm-render');
    execFileSync('go', ['build', '-o', binary, '.'], {
      cwd: join(REPO_ROOT, 'test/unit/shipping/helm-render'),
      // No module downloads: the renderer uses the standard library only.
      env: { ...process.env, GOFLAGS: '-mod=mod', GO111MODULE: 'on', GOPROXY: 'off' },
      stdio: 'pipe',
    });
    writeFileSync(join(dir, 'chart.json'), JSON.stringify(readYaml(`${CHART_DIR}/Chart.yaml`)));
  }, 120_000);

  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** Renders with user values merged over the defaults; returns manifests and NOTES, or the error. */
  function render(override: Values, release = 'hookpost'): { manifests: Manifest[]; notes: string } | { error: string } {
    go.require();
    const valuesFile = join(dir, `values-${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(valuesFile, JSON.stringify(mergeValues(defaultValues(), override)));
    const result = spawnSync(binary, [join(REPO_ROOT, CHART_DIR), valuesFile, join(dir, 'chart.json'), release, 'hookpost'], { encoding: 'utf8' });
    if (result.status !== 0) return { error: result.stderr };
    const sections = result.stdout.split('---\n');
    const notes = sections.find((s) => s.startsWith('# Source: hookpost/templates/NOTES.txt')) ?? '';
    const manifests: Manifest[] = [];
    for (const doc of parseAllDocuments(sections.filter((s) => s !== notes).join('---\n'))) {
      expect(doc.errors.map((e) => e.message)).toEqual([]);
      const value = doc.toJS() as Manifest | null;
      if (value) manifests.push(value);
    }
    expect(result.stdout).not.toContain('<no value>');
    return { manifests, notes };
  }

  function rendered(override: Values, release?: string) {
    const result = render(override, release);
    if ('error' in result) throw new Error(result.error);
    return result;
  }

  const find = (manifests: Manifest[], kind: string, name: string) => {
    const found = manifests.find((m) => m.kind === kind && m.metadata.name === name);
    if (!found) throw new Error(`${kind}/${name} not rendered; have ${manifests.map((m) => `${m.kind}/${m.metadata.name}`).join(', ')}`);
    return found;
  };
  const podSpec = (deployment: Manifest) => (deployment.spec as { template: { spec: PodSpec } }).template.spec;

  const TEST_ENCRYPTION_KEY = 'MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY=';
  const inline = {
    secrets: { signingKey: TEST_KEY, encryptionKey: TEST_ENCRYPTION_KEY, apiTokens: ['token-one-0123456789', 'token-two-0123456789'] },
  };

  it.each(chartFiles('examples', '.yaml'))('renders %s', (path) => {
    const values = readYaml(path) as Values;
    // An example without existingSecret passes the key with --set-file.
    const withKey = namesExistingSecret(values)
      ? values
      : mergeValues(values, { secrets: { signingKey: TEST_KEY, encryptionKey: TEST_ENCRYPTION_KEY } });
    const { manifests } = rendered(withKey as Values);
    expect(manifests.map((m) => m.kind)).toEqual(expect.arrayContaining(['ConfigMap', 'Deployment', 'Service']));
  });

  function namesExistingSecret(values: Values): boolean {
    return Boolean((values['secrets'] as Values | undefined)?.['existingSecret']);
  }

  it('renders the defaults with a chart-made Secret into hardened API and worker Deployments', () => {
    const { manifests } = rendered(inline);
    expect(manifests.map((m) => `${m.kind}/${m.metadata.name}`).sort()).toEqual([
      'ConfigMap/hookpost',
      'ConfigMap/hookpost-dashboard',
      'Deployment/hookpost-api',
      'Deployment/hookpost-worker',
      'PodDisruptionBudget/hookpost-api',
      'PodDisruptionBudget/hookpost-worker',
      'Secret/hookpost',
      'Service/hookpost',
      'Service/hookpost-worker-metrics',
      'ServiceAccount/hookpost',
    ]);
    for (const [name, entrypoint, port] of [
      ['hookpost-api', 'dist/workers/api.js', 'http'],
      ['hookpost-worker', 'dist/workers/worker.js', 'metrics'],
    ] as const) {
      const spec = podSpec(find(manifests, 'Deployment', name));
      const [container] = spec.containers;
      expect(container?.args).toEqual(['node', entrypoint]);
      expect(container?.command).toBeUndefined();
      expect(container?.livenessProbe?.httpGet).toEqual({ path: '/healthz', port });
      expect(container?.readinessProbe?.httpGet).toEqual({ path: '/readyz', port });
      expect(container?.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
      expect(spec.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
      expect(spec.terminationGracePeriodSeconds).toBe(45);
      expect(spec.automountServiceAccountToken).toBe(false);
      expect(spec.volumes).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ name: 'signing-key', secret: expect.objectContaining({ secretName: 'hookpost', defaultMode: 0o440 }) }),
          expect.objectContaining({ name: 'tmp', emptyDir: expect.anything() }),
        ]),
      );
      expect(container?.env?.map((e) => e.name)).toContain('HOOKPOST_API_TOKENS');
    }
    const secret = find(manifests, 'Secret', 'hookpost');
    expect(Buffer.from(secret.data?.['api-tokens'] ?? '', 'base64').toString()).toBe('token-one-0123456789,token-two-0123456789');
    expect(Buffer.from(secret.data?.['signing-key.pem'] ?? '', 'base64').toString()).toBe(TEST_KEY);
  });

  it('ships the alert rules and the dashboard unchanged', () => {
    const { manifests } = rendered({ ...inline, prometheusRule: { enabled: true } });
    expect(find(manifests, 'PrometheusRule', 'hookpost').spec).toEqual(parseYaml(readRepoFile(ALERTS_FILE)));
    const dashboard = find(manifests, 'ConfigMap', 'hookpost-dashboard');
    expect(dashboard.metadata.labels?.['grafana_dashboard']).toBe('1');
    expect(JSON.parse(dashboard.data?.['hookpost.json'] ?? '')).toEqual(JSON.parse(readRepoFile(DASHBOARD_FILE)));
  });

  it('with autoscaling and monitoring: HPAs replace replicas, ServiceMonitors set the job label', () => {
    const { manifests } = rendered(
      { secrets: { existingSecret: 'hp' }, api: { autoscaling: { enabled: true } }, worker: { autoscaling: { enabled: true } }, serviceMonitor: { enabled: true } },
      'prod',
    );
    expect(find(manifests, 'Deployment', 'prod-hookpost-worker').spec?.['replicas']).toBeUndefined();
    expect(find(manifests, 'HorizontalPodAutoscaler', 'prod-hookpost-worker').spec).toMatchObject({
      scaleTargetRef: { kind: 'Deployment', name: 'prod-hookpost-worker' },
      minReplicas: 2,
      maxReplicas: 10,
    });
    expect(find(manifests, 'ServiceMonitor', 'prod-hookpost-worker').spec).toMatchObject({ jobLabel: 'hookpost-job', endpoints: [{ port: 'metrics', path: '/metrics' }] });
    expect(find(manifests, 'Service', 'prod-hookpost-worker-metrics').metadata.labels?.['hookpost-job']).toBe('hookpost-worker');
    expect(manifests.some((m) => m.kind === 'Secret')).toBe(false);
  });

  it('takes the Redis URL from a Secret when redis.existingSecret is set', () => {
    const { manifests } = rendered({ secrets: { existingSecret: 'hp' }, redis: { existingSecret: 'redis-url-secret' } });
    expect(find(manifests, 'ConfigMap', 'hookpost').data).not.toHaveProperty('HOOKPOST_REDIS_URL');
    const env = podSpec(find(manifests, 'Deployment', 'hookpost-worker')).containers[0]?.env ?? [];
    expect(env.find((e) => e.name === 'HOOKPOST_REDIS_URL')?.valueFrom).toEqual({ secretKeyRef: { name: 'redis-url-secret', key: 'redis-url' } });
  });

  it('with redis.auth.existingSecret: the password from its Secret, put into the URL by Kubernetes', () => {
    const { manifests, notes } = rendered({
      secrets: { existingSecret: 'hp' },
      redis: { url: 'rediss://redis-master.redis.svc:6380/2', auth: { existingSecret: 'redis', username: 'hookpost' } },
    });
    expect(find(manifests, 'ConfigMap', 'hookpost').data).not.toHaveProperty('HOOKPOST_REDIS_URL');
    for (const name of ['hookpost-api', 'hookpost-worker']) {
      const env = podSpec(find(manifests, 'Deployment', name)).containers[0]?.env ?? [];
      const names = env.map((e) => e.name);
      // $(REDIS_PASSWORD) expands only from an entry defined before it.
      expect(names.indexOf('REDIS_PASSWORD')).toBeGreaterThanOrEqual(0);
      expect(names.indexOf('REDIS_PASSWORD')).toBeLessThan(names.indexOf('HOOKPOST_REDIS_URL'));
      expect(env.find((e) => e.name === 'REDIS_PASSWORD')?.valueFrom).toEqual({ secretKeyRef: { name: 'redis', key: 'redis-password' } });
      const url = env.find((e) => e.name === 'HOOKPOST_REDIS_URL')?.value ?? '';
      expect(url).toBe('rediss://hookpost:$(REDIS_PASSWORD)@redis-master.redis.svc:6380/2');
      // What the process sees once Kubernetes has substituted a (URL-safe) password.
      const config = loadConfig({
        ...find(manifests, 'ConfigMap', 'hookpost').data,
        HOOKPOST_API_TOKENS: 'a-token-of-at-least-16-characters',
        HOOKPOST_REDIS_URL: url.replace('$(REDIS_PASSWORD)', 'Zx9-pw_~.q'),
      });
      expect(new URL(config.redisUrl)).toMatchObject({ protocol: 'rediss:', username: 'hookpost', password: 'Zx9-pw_~.q', host: 'redis-master.redis.svc:6380' });
    }
    expect(notes).toContain('rediss://redis-master.redis.svc:6380/2 with the password from Secret redis/redis-password');
    expect(notes).not.toContain('REDIS_PASSWORD');
    // Without a username: the default user, as with requirepass.
    const worker = find(rendered({ secrets: { existingSecret: 'hp' }, redis: { auth: { existingSecret: 'redis' } } }).manifests, 'Deployment', 'hookpost-worker');
    expect(podSpec(worker).containers[0]?.env?.find((e) => e.name === 'HOOKPOST_REDIS_URL')?.value).toBe('redis://:$(REDIS_PASSWORD)@redis:6379');
  });

  it.each([
    ['cluster.yaml', 'cluster', 3],
    ['sentinel.yaml', 'sentinel', 1],
  ])('examples/%s: a %s URL with the password from its Secret, read back by loadConfig', (file, kind, shards) => {
    const { manifests } = rendered(readYaml(`${CHART_DIR}/examples/${file}`) as Values);
    const data = find(manifests, 'ConfigMap', 'hookpost').data ?? {};
    const worker = podSpec(find(manifests, 'Deployment', 'hookpost-worker')).containers[0];
    const url = worker?.env?.find((e) => e.name === 'HOOKPOST_REDIS_URL')?.value ?? '';
    expect(url).toMatch(new RegExp(`^redis\\+${kind}://:\\$\\(REDIS_PASSWORD\\)@`));
    const config = loadConfig(
      { ...data, HOOKPOST_API_TOKENS: 'a-token-of-at-least-16-characters', HOOKPOST_REDIS_URL: url.replace('$(REDIS_PASSWORD)', 'pw') },
      { role: 'worker' },
    );
    expect(config.redis).toMatchObject({ kind, password: 'pw' });
    expect(config).toMatchObject({ prefix: '{hookpost}', shards, shardsConsumed: Array.from({ length: shards }, (_, i) => i) });
    expect(worker?.env?.map((e) => e.name)).not.toContain('HOOKPOST_SHARDS_CONSUMED');
  });

  it('passes worker.shardsConsumed to the workers only', () => {
    const { manifests } = rendered({ secrets: { existingSecret: 'hp' }, config: { shards: 4 }, worker: { shardsConsumed: '0,2' } });
    const env = (name: string) => podSpec(find(manifests, 'Deployment', name)).containers[0]?.env ?? [];
    expect(env('hookpost-worker').find((e) => e.name === 'HOOKPOST_SHARDS_CONSUMED')?.value).toBe('0,2');
    expect(env('hookpost-api').map((e) => e.name)).not.toContain('HOOKPOST_SHARDS_CONSUMED');
    expect(find(manifests, 'ConfigMap', 'hookpost').data?.['HOOKPOST_SHARDS']).toBe('4');
  });

  it.each<[string, Values, string]>([
    ['both Redis Secrets', { secrets: { existingSecret: 'hp' }, redis: { existingSecret: 'url', auth: { existingSecret: 'pw' } } }, 'not both'],
    ['credentials in redis.url beside redis.auth', { secrets: { existingSecret: 'hp' }, redis: { url: 'redis://:pw@redis:6379', auth: { existingSecret: 'pw' } } }, 'redis.url must not carry credentials'],
    ['a cluster URL and a prefix without a hash tag', { secrets: { existingSecret: 'hp' }, redis: { url: 'redis+cluster://a:6379,b:6379' } }, 'on Redis Cluster config.prefix (HOOKPOST_PREFIX) needs a hash tag, e.g. "{hookpost}"'],
    ['no Secret at all', {}, 'set secrets.existingSecret (recommended) or secrets.signingKey'],
    ['a signing key but no tokens', { secrets: { signingKey: TEST_KEY } }, 'or secrets.apiTokens'],
    ['no encryption key', { secrets: { signingKey: TEST_KEY, apiTokens: ['token-one-0123456789'] } }, 'or secrets.encryptionKey'],
    ['a grace period not above the shutdown timeout', { secrets: { existingSecret: 'hp' }, terminationGracePeriodSeconds: 35 }, 'must exceed config.shutdownTimeout'],
    ['an HPA whose max is below its min', { secrets: { existingSecret: 'hp' }, worker: { autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 2 } } }, 'worker.autoscaling.maxReplicas must be at least minReplicas'],
    ['an HPA without targets', { secrets: { existingSecret: 'hp' }, api: { autoscaling: { enabled: true, targetCPUUtilizationPercentage: 0 } } }, 'api.autoscaling needs'],
    ['the signing key again as an additional key', { secrets: { existingSecret: 'hp', additionalSigningKeyKeys: ['signing-key.pem'] } }, 'must not repeat secrets.signingKeyKey'],
    ['additional signing keys in a chart-made Secret', { ...inline, secrets: { ...inline.secrets, additionalSigningKeyKeys: ['next.pem'] } }, 'needs secrets.existingSecret'],
  ])('refuses to render with %s', (_name, override, message) => {
    const result = render(override);
    expect('error' in result ? result.error : 'rendered').toContain(message);
  });

  it('mounts additional signing keys for rotation and lists them after the signing key', () => {
    const { manifests } = rendered({
      secrets: { existingSecret: 'hp', signingKeyKey: 'key-2027.pem', additionalSigningKeyKeys: ['key-2026.pem'] },
    });
    const files = find(manifests, 'ConfigMap', 'hookpost').data?.['HOOKPOST_SIGNING_KEY_FILE'];
    expect(files).toBe('/etc/hookpost/signing-key/signing-key.pem,/etc/hookpost/signing-key/published/key-2026.pem');
    const encryption = find(manifests, 'ConfigMap', 'hookpost').data?.['HOOKPOST_ENCRYPTION_KEY_FILE'];
    expect(loadConfig({ HOOKPOST_SIGNING_KEY_FILE: files, HOOKPOST_ENCRYPTION_KEY_FILE: encryption }, { role: 'worker' }).signingKeyFiles).toHaveLength(2);
    for (const name of ['hookpost-api', 'hookpost-worker']) {
      const volume = podSpec(find(manifests, 'Deployment', name)).volumes.find((v) => v.name === 'signing-key');
      expect((volume?.secret as { items?: unknown } | undefined)?.items).toEqual([
        { key: 'key-2027.pem', path: 'signing-key.pem' },
        { key: 'key-2026.pem', path: 'published/key-2026.pem' },
        { key: 'encryption-key', path: 'encryption-key' },
      ]);
    }
    const single = find(rendered({ secrets: { existingSecret: 'hp' } }).manifests, 'ConfigMap', 'hookpost');
    expect(single.data?.['HOOKPOST_SIGNING_KEY_FILE']).toBe('/etc/hookpost/signing-key/signing-key.pem');
  });

  it('NOTES and the deploy docs read the API token back with the same command', () => {
    const { notes } = rendered({ secrets: { existingSecret: 'hookpost' } });
    const tokenLine = notes.split('\n').find((line) => line.trim().startsWith('TOKEN='))?.trim();
    expect(tokenLine).toBe("TOKEN=$(kubectl --namespace hookpost get secret hookpost -o jsonpath='{.data.api-tokens}' | base64 -d | cut -d, -f1)");
    expect(readRepoFile('docs/deploy.md').split('\n')).toContain(tokenLine);
  });

  it('NOTES warn about chart-made secrets and development flags', () => {
    const { notes } = rendered({ ...inline, config: { allowHttp: true } });
    expect(notes).toContain('WARNING: the signing key, the encryption key and the API tokens were given in values');
    expect(notes).toContain('config.allowHttp=true');
    expect(rendered({ secrets: { existingSecret: 'hp' } }).notes).not.toContain('WARNING');
  });
});
