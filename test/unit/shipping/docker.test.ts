import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../../config/index.js';
import { freePort, startReceiver } from '../../helpers/index.js';
import { REPO_ROOT, readRepoFile } from '../../helpers/metric-names.js';
import { hookpostVariablesIn } from './chart.js';
import { runtimePackages, satisfies } from './node-engines.js';

/** The current Node.js LTS (26 'Lithium'), exact version, Debian 13 slim. */
const BASE_IMAGE = 'node:26.13.1-trixie-slim';

interface Instruction {
  readonly keyword: string;
  readonly args: string;
}

/** Dockerfile instructions with continuation lines joined and comments dropped. */
function instructions(source: string): Instruction[] {
  const joined = source
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [keyword = '', ...rest] = line.split(/\s+/);
      return { keyword: keyword.toUpperCase(), args: rest.join(' ') };
    });
}

const dockerfile = readRepoFile('Dockerfile');
const all = instructions(dockerfile);
const lastFrom = all.map((i) => i.keyword).lastIndexOf('FROM');
const runtime = all.slice(lastFrom);
const only = (keyword: string, from = runtime) => from.filter((i) => i.keyword === keyword);

/** The node -e script of the HEALTHCHECK, run as Docker would run it. */
function healthcheckScript(): string {
  const [healthcheck] = only('HEALTHCHECK');
  const exec = JSON.parse(healthcheck?.args.slice(healthcheck.args.indexOf('CMD ') + 4) ?? '[]') as string[];
  expect(exec.slice(0, 2)).toEqual(['node', '-e']);
  return exec[2] ?? '';
}

function runHealthcheck(env: Record<string, string>): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', healthcheckScript()], { env: { PATH: process.env['PATH'] ?? '', ...env }, stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

describe('Dockerfile', () => {
  it('builds in a build stage and runs from the same pinned base', () => {
    const froms = only('FROM', all).map((i) => i.args);
    expect(froms).toEqual([`${BASE_IMAGE} AS build`, `${BASE_IMAGE} AS runtime`]);
    const build = all.slice(0, lastFrom);
    expect(only('RUN', build).map((i) => i.args)).toEqual(expect.arrayContaining([expect.stringMatching(/^npm ci\b/), 'npm run build']));
  });

  it('pins an exact Node.js LTS release that every runtime dependency and package.json engines accept', () => {
    const tag = /^node:(\d+\.\d+\.\d+)-[a-z]+-slim$/.exec(BASE_IMAGE);
    expect(tag, BASE_IMAGE).not.toBeNull();
    const version = tag?.[1] ?? '';
    // Even major lines become LTS; 26 is the Active LTS line (Node 20 reached end of life in April 2026).
    expect(Number(version.split('.')[0]) % 2).toBe(0);
    expect(Number(version.split('.')[0])).toBeGreaterThanOrEqual(26);
    const engines = (JSON.parse(readRepoFile('package.json')) as { engines: { node: string } }).engines.node;
    expect(satisfies(version, engines), engines).toBe(true);
    const refusing = runtimePackages(REPO_ROOT).filter((p) => p.nodeRange !== undefined && !satisfies(version, p.nodeRange));
    expect(refusing.map((p) => `${p.name}@${p.version}: ${p.nodeRange}`)).toEqual([]);
  });

  it('installs only production dependencies in the runtime stage and copies dist from the build', () => {
    const runs = only('RUN').map((i) => i.args);
    expect(runs.some((r) => /\bnpm ci --omit=dev\b/.test(r))).toBe(true);
    expect(runs.some((r) => /\bnpm (install|i)\b/.test(r))).toBe(false);
    expect(only('COPY').map((i) => i.args)).toContain('--from=build /app/dist ./dist');
    expect(only('ENV').map((i) => i.args)).toContain('NODE_ENV=production');
  });

  it('runs as the non-root node user (uid 1000) under tini, as the worker by default', () => {
    const users = only('USER').map((i) => i.args);
    expect(users.at(-1)).toBe('1000:1000');
    expect(only('RUN').some((i) => /apt-get install -y --no-install-recommends tini\b/.test(i.args))).toBe(true);
    expect(only('ENTRYPOINT').map((i) => JSON.parse(i.args))).toEqual([['/usr/bin/tini', '--']]);
    expect(only('CMD').map((i) => JSON.parse(i.args))).toEqual([['node', 'dist/workers/worker.js']]);
    expect(only('EXPOSE').map((i) => i.args)).toEqual(['8080 9464']);
  });

  it('passes dockerfilelint (npm run lint runs it too)', () => {
    const require = createRequire(import.meta.url);
    const lint = require('dockerfilelint') as { run: (configDir: string, content: string) => { title: string; line: number }[] };
    expect(lint.run(REPO_ROOT, dockerfile).map((item) => `${item.line}: ${item.title}`)).toEqual([]);
  });

  it('keeps local state, secrets and build output out of the build context', () => {
    const ignored = readRepoFile('.dockerignore').split('\n').map((l) => l.trim());
    for (const entry of ['node_modules', 'dist', '.git', '.hookpost', 'coverage', '.env', 'test', 'bench']) expect(ignored).toContain(entry);
    // The build needs these: they must not be ignored.
    for (const entry of ['src', 'workers', 'config', 'package.json', 'package-lock.json', 'tsconfig.json', 'tsconfig.build.json']) {
      expect(ignored).not.toContain(entry);
    }
  });

  describe('HEALTHCHECK', () => {
    it('is healthy when /healthz answers 200 on the API port (API role)', async () => {
      const receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
      try {
        const metricsPort = await freePort();
        expect(await runHealthcheck({ HOOKPOST_API_PORT: String(receiver.port), HOOKPOST_METRICS_PORT: String(metricsPort) })).toBe(0);
        expect(receiver.requests.map((r) => r.path)).toEqual(['/healthz']);
      } finally {
        await receiver.close();
      }
    });

    it('is healthy when /healthz answers 200 on the metrics port (worker role)', async () => {
      const receiver = await startReceiver(() => ({ status: 200, body: 'ok' }));
      try {
        const apiPort = await freePort();
        expect(await runHealthcheck({ HOOKPOST_API_PORT: String(apiPort), HOOKPOST_METRICS_PORT: String(receiver.port) })).toBe(0);
      } finally {
        await receiver.close();
      }
    });

    it('is unhealthy when /healthz fails or nothing listens', async () => {
      const receiver = await startReceiver(() => ({ status: 503, body: 'no' }));
      try {
        const apiPort = await freePort();
        expect(await runHealthcheck({ HOOKPOST_API_PORT: String(apiPort), HOOKPOST_METRICS_PORT: String(receiver.port) })).toBe(1);
      } finally {
        await receiver.close();
      }
      const [a, b] = [await freePort(), await freePort()];
      expect(await runHealthcheck({ HOOKPOST_API_PORT: String(a), HOOKPOST_METRICS_PORT: String(b) })).toBe(1);
    });
  });
});

describe('docker-compose.yml', () => {
  const compose = parseYaml(readRepoFile('docker-compose.yml')) as {
    services: Record<
      string,
      {
        image?: string;
        build?: string;
        user?: string;
        command?: string[];
        environment?: Record<string, string>;
        ports?: string[];
        depends_on?: Record<string, { condition: string }>;
        volumes?: (string | { type: string; source: string; target: string; read_only?: boolean; bind?: { create_host_path?: boolean } })[];
      }
    >;
  };
  const { services } = compose;

  it('runs Redis with AOF and noeviction', () => {
    expect(services['redis']?.command).toEqual(['redis-server', '--appendonly', 'yes', '--maxmemory-policy', 'noeviction']);
  });

  it('builds the API and the worker from the Dockerfile with their entrypoints', () => {
    expect(services['api']).toMatchObject({ build: '.', command: ['node', 'dist/workers/api.js'] });
    expect(services['worker']).toMatchObject({ build: '.', command: ['node', 'dist/workers/worker.js'] });
  });

  it('uses only HOOKPOST_* variables that config/index.ts reads', () => {
    const used = hookpostVariablesIn(readRepoFile('docker-compose.yml'));
    expect(used.length).toBeGreaterThan(3);
    expect(used.filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
  });

  /** The service's environment as Compose substitutes it with the `${VAR:-default}` defaults. */
  const environmentOf = (name: string) =>
    Object.fromEntries(Object.entries(services[name]?.environment ?? {}).map(([k, v]) => [k, String(v).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1')]));

  it.each(['api', 'worker'])('gives the %s an environment loadConfig accepts, with the signing key from the key volume', (name) => {
    const service = services[name];
    const config = loadConfig(environmentOf(name));
    expect(config).toMatchObject({ redisUrl: 'redis://redis:6379', allowHttp: true, allowPrivateTargets: true });
    const keyDir = config.signingKeyFile?.slice(0, config.signingKeyFile.lastIndexOf('/'));
    expect(service?.volumes).toContainEqual({ type: 'volume', source: 'signing-key', target: keyDir, read_only: true });
    expect(service?.depends_on).toMatchObject({ 'signing-key': { condition: 'service_completed_successfully' }, redis: { condition: 'service_healthy' } });
  });

  it('copies the host key, whatever its owner and mode, into the key volume for the image user (uid 1000, mode 0400)', () => {
    const init = services['signing-key'];
    const user = only('USER').map((i) => i.args).at(-1);
    expect(user).toBe('1000:1000');
    expect(init).toMatchObject({ build: '.', image: 'hookpost:local', user: '0:0' });
    const [command, ...args] = init?.command ?? [];
    expect(command).toBe('install');
    expect(args.slice(0, 6)).toEqual(['-o', '1000', '-g', '1000', '-m', '0400']);
    const [from, to] = args.slice(6);
    expect(init?.volumes).toContainEqual(
      expect.objectContaining({ type: 'bind', source: './.hookpost/compose/signing-key.pem', target: from, read_only: true, bind: { create_host_path: false } }),
    );
    expect(init?.volumes).toContainEqual({ type: 'volume', source: 'signing-key', target: '/etc/hookpost' });
    expect(to).toBe(loadConfig(environmentOf('api')).signingKeyFile);
    expect(readRepoFile('docker-compose.yml')).not.toMatch(/chmod 644/);
  });

  it('publishes only on loopback, on host ports that leave npm start (8080) and a local Redis (6379) free', () => {
    const published = Object.entries(services).flatMap(([name, service]) => (service.ports ?? []).map((port) => [name, port] as const));
    expect(Object.fromEntries(published)).toEqual({
      redis: '127.0.0.1:16379:6379',
      api: '127.0.0.1:18080:8080',
      prometheus: '127.0.0.1:19090:9090',
      grafana: '127.0.0.1:13000:3000',
    });
    const hostPorts = published.map(([, port]) => Number(port.split(':')[1]));
    for (const local of [8080, 6379, 9464, 9090, 3000]) expect(hostPorts).not.toContain(local);
  });

  it('mounts Prometheus and Grafana configuration files that exist', () => {
    for (const name of ['prometheus', 'grafana']) {
      for (const volume of services[name]?.volumes ?? []) {
        if (typeof volume !== 'string' || !volume.startsWith('./')) continue;
        expect(existsSync(join(REPO_ROOT, volume.split(':')[0] ?? '')), volume).toBe(true);
      }
    }
  });

  it('scrapes the API and worker ports the services listen on', () => {
    const prometheus = readRepoFile('config/prometheus/prometheus.yml');
    expect(prometheus).toContain('"api:8080"');
    expect(prometheus).toMatch(/names: \["worker"\][\s\S]*port: 9464/);
  });

  it('provisions the dashboard folder Grafana mounts', () => {
    const provider = parseYaml(readRepoFile('config/grafana/provisioning/dashboards/hookpost.yml')) as { providers: { options: { path: string } }[] };
    const grafanaVolumes = (services['grafana']?.volumes ?? []).filter((v): v is string => typeof v === 'string');
    expect(grafanaVolumes).toContain(`./config/grafana/dashboards:${provider.providers[0]?.options.path}:ro`);
    const datasources = parseYaml(readRepoFile('config/grafana/provisioning/datasources/prometheus.yml')) as { datasources: { type: string; url: string }[] };
    expect(datasources.datasources[0]).toMatchObject({ type: 'prometheus', url: 'http://prometheus:9090' });
  });
});
