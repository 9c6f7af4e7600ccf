/**
 * The built `hookpost` CLI (dist/src/cli/main.js, the package's `bin`) run as a child process against
 * the real engine and API: publish (with how many webhooks match), tail, deliveries, redeliver,
 * dead-letters (and bulk re-drive), test, help and exit codes; a Redis or API that is not there or
 * never answers fails in seconds naming the URL and where it came from, and a signal always ends a
 * command; receivers' escape sequences never reach the terminal.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { type Server, type Socket, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, inject, it } from 'vitest';
import { eventually } from '../../helpers/engine.js';
import { freePort } from '../../helpers/redis.js';
import { spawnChild } from '../../helpers/processes.js';
import { startReceiver } from '../../helpers/index.js';
import { REPO_ROOT } from '../../helpers/metric-names.js';
import { type Stack, TEST_TOKEN as TOKEN, useStack } from '../../helpers/app.js';

const CLI = join(REPO_ROOT, 'dist', 'src', 'cli', 'main.js');

interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

function envOf(s: Stack): Record<string, string> {
  return { HOOKPOST_URL: s.url, HOOKPOST_TOKEN: TOKEN, HOOKPOST_REDIS_URL: inject('redisUrl'), HOOKPOST_PREFIX: s.prefix };
}

function cli(args: readonly string[], env: Record<string, string>): Promise<Run> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build first`);
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('hookpost CLI', () => {
  const { defer, stack } = useStack();

  it('prints help per command and exits 2 on usage errors', async () => {
    const top = await cli(['--help'], {});
    expect(top.code).toBe(0);
    for (const command of ['publish', 'tail', 'deliveries', 'redeliver', 'dead-letters', 'test']) expect(top.stdout).toContain(`  ${command}`);
    const help = await cli(['tail', '--help'], {});
    expect(help).toMatchObject({ code: 0 });
    expect(help.stdout).toContain('Usage: hookpost tail');
    expect(help.stdout).toContain('HOOKPOST_TOKEN');
    expect(await cli([], {})).toMatchObject({ code: 2 });
    const unknown = await cli(['tail', '--bogus'], {});
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option '--bogus'");
    expect((await cli(['frobnicate'], {})).stderr).toContain('unknown command "frobnicate"');
    expect(await cli(['publish'], {})).toMatchObject({ code: 2, stderr: expect.stringContaining('publish needs --object-name and --version') });
    const down = await cli(['deliveries', '--url', 'http://127.0.0.1:9'], {});
    expect(down.code).toBe(1);
    expect(down.stderr).toContain('cannot reach the hookpost API at http://127.0.0.1:9');
  }, 180_000);

  it('publishes, tails, lists, shows, re-delivers, re-drives and tests', async () => {
    const s = await stack();
    const env = envOf(s);
    let failing = true;
    const r = await startReceiver(() => (failing ? { status: 503, body: 'try later' } : { status: 202, body: 'ok' }));
    defer(() => r.close());
    await s.t.createWebhook({ name: 'cli-hook', url: `${r.url}/in` } as never);

    // Its starting point is given (before anything is published; the stack's prefix is fresh), so the
    // tail sees every delivery however late it starts on a loaded machine.
    const since = new Date(Date.now() - 60_000).toISOString();
    const tail = spawnChild(process.execPath, [CLI, 'tail', '--interval', '200', '--since', since], env);
    defer(async () => {
      if (tail.proc.exitCode === null) tail.proc.kill('SIGKILL');
    });

    const published = await cli(['publish', '--object-name', 'model', '--version', 'v1', '--request-id', 'cli-req-1', '--result', '{"label":"x"}'], env);
    expect(published).toMatchObject({ code: 0, stdout: 'published cli-req-1.completed\n1 webhook matches: cli-hook\n' });
    expect((await cli(['publish', '--object-name', 'model', '--version', 'v1', '--request-id', 'cli-req-1'], env)).stdout).toContain('duplicate cli-req-1.completed');
    const bad = await cli(['publish', '--event', '{"project":"demo"}'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('not published');

    await eventually(() => tail.stdout().includes('cli-req-1'), 60_000, 'the tail to print the delivery').catch((err) => {
      throw new Error(`${err.message}; tail stdout: ${tail.stdout()} stderr: ${tail.stderr()}; receiver saw ${r.requests.length}`);
    });
    const line = tail.stdout().split('\n').find((l) => l.includes('cli-req-1')) ?? '';
    expect(line).toMatch(/failed\s+cli-hook\s+deployment_request_completed {2}request cli-req-1 {2}attempt 1 {2}Received HTTP 503/);
    const deliveryId = line.trim().split(/\s+/).at(-1) ?? '';
    expect(deliveryId).toBe(r.requests[0]?.headers['hookpost-delivery-id']);

    const listed = await cli(['deliveries', '--outcome', 'failed', '--json'], env);
    expect(listed.code).toBe(0);
    expect(JSON.parse(listed.stdout.trim())).toMatchObject({ delivery_id: deliveryId, outcome: 'failed', webhook_name: 'cli-hook' });
    const shown = await cli(['deliveries', deliveryId], env);
    expect(shown.stdout).toContain('dead letter; can be re-delivered');
    expect(shown.stdout).toContain('#1');
    expect(shown.stdout).toContain('response: try later');
    expect((await cli(['dead-letters'], env)).stdout).toContain(deliveryId);

    failing = false;
    expect(await cli(['redeliver', deliveryId], env)).toMatchObject({ code: 0, stdout: `queued ${deliveryId}\n` });
    await eventually(() => tail.stdout().split('\n').some((l) => l.includes(deliveryId) && l.includes('success')), 60_000, 'the re-delivery in the tail');
    expect(await cli(['redeliver', '00000000-0000-8000-8000-000000000000'], env)).toMatchObject({ code: 1 });

    // Two more dead letters, re-driven in bulk with a progress line.
    failing = true;
    await cli(['publish', '--object-name', 'model', '--version', 'v1', '--request-id', 'cli-req-2'], env);
    await cli(['publish', '--object-name', 'model', '--version', 'v1', '--request-id', 'cli-req-3'], env);
    await eventually(async () => (await s.call('GET', '/v2.1/projects/demo/dead-letters')).json.length === 2, 60_000, 'two dead letters');
    failing = false;
    const redriven = await cli(['dead-letters', 'redrive', '--webhook', 'cli-hook'], env);
    expect(redriven).toMatchObject({ code: 0, stdout: 'queued 2 dead letter(s)\n' });
    expect(redriven.stderr).toContain('re-driving dead letters: 2 queued, 0 left');
    await eventually(async () => (await s.call('GET', '/v2.1/projects/demo/deliveries?outcome=success')).json.items.length === 3, 60_000, 'three successes');

    expect(await cli(['test', 'cli-hook'], env)).toMatchObject({ code: 0, stdout: 'test to cli-hook: delivered\n' });
    failing = true;
    expect(await cli(['test', 'cli-hook'], env)).toMatchObject({ code: 1, stdout: 'test to cli-hook: failed: Received HTTP 503\n' });
    expect(await cli(['test', 'no-such-hook'], env)).toMatchObject({ code: 1, stderr: expect.stringContaining('404 webhook "no-such-hook" not found') });
    expect(await cli(['deliveries', '--token', 'wrong-token-0123456789'], env)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('401 invalid API token (set HOOKPOST_TOKEN, or pass --token)'),
    });
    // Loopback plain http: no warning about the token.
    expect((await cli(['deliveries'], env)).stderr).toBe('');

    tail.proc.kill('SIGINT');
    expect(await tail.exited).toBe(0);
    expect(tail.stderr()).toBe('');
  }, 600_000);
});

describe('hookpost publish says what matched', () => {
  const { defer, stack } = useStack();

  it('prints how many webhooks match, names them, and says so with the filter when none does', async () => {
    const s = await stack();
    const env = envOf(s);
    const r = await startReceiver(() => ({ status: 204 }));
    defer(() => r.close());
    await s.t.createWebhook({ name: 'on-model', url: `${r.url}/in` } as never);

    const one = await cli(['publish', '--object-name', 'model', '--version', 'v1', '--request-id', 'match-1'], env);
    expect(one).toMatchObject({ code: 0, stdout: 'published match-1.completed\n1 webhook matches: on-model\n', stderr: '' });
    const none = await cli(['publish', '--object-name', 'other-model', '--version', 'v1', '--request-id', 'match-2'], env);
    expect(none.code).toBe(0);
    expect(none.stdout).toBe(
      'published match-2.completed\n' +
        '0 webhooks match (project demo, deployment other-model, version v1, events deployment_request_completed or deployment_request_finished): ' +
        "nothing will be sent; check the webhook's object_name, version, event and that it is enabled\n",
    );
    const json = await cli(['publish', '--object-name', 'model', '--version', 'v1', '--request-id', 'match-3', '--json'], env);
    expect(JSON.parse(json.stdout)).toEqual({ job_id: 'match-3.completed', duplicate: false, matched: 1, webhooks: ['on-model'] });
    await eventually(() => r.requests.length === 2, 20_000, 'the two matched events to be delivered');
  }, 120_000);

  it('refuses a project name that breaks the naming rule, with the rule (exit 2)', async () => {
    const s = await stack();
    const env = envOf(s);
    for (const args of [
      ['publish', '--object-name', 'model', '--version', 'v1', '--project', 'My Project'],
      ['publish', '--event', '{"project":"My_Project","object_type":"deployment","object_name":"m","version":"v1","request_id":"r","status":"completed"}'],
      ['deliveries', '-p', 'UPPER'],
    ]) {
      const run = await cli(args, env);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toContain('must be 1-64 characters of a-z, 0-9 and -, starting with a letter or digit');
      expect(run.stdout).toBe('');
    }
    const fromEnv = await cli(['publish', '--object-name', 'model', '--version', 'v1'], { ...env, HOOKPOST_PROJECT: 'bad project' });
    expect(fromEnv).toMatchObject({ code: 2, stderr: expect.stringContaining('HOOKPOST_PROJECT: "bad project" must be 1-64 characters') });
  }, 120_000);
});

describe('hookpost CLI with a Redis or an API that is not there', () => {
  const cleanups: Array<() => Promise<unknown> | unknown> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  /** A TCP server that accepts connections and never says a word (a hung Redis or API). */
  async function silentServer(): Promise<{ port: number; connections: () => number }> {
    const sockets = new Set<Socket>();
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections++;
      sockets.add(socket);
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    });
    return { port: (server.address() as { port: number }).port, connections: () => connections };
  }

  it('publish with a stale .hookpost/redis/port fails at once naming the URL and the port file', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'hookpost-cli-'));
    mkdirSync(join(dataDir, 'redis'));
    const port = await freePort();
    writeFileSync(join(dataDir, 'redis', 'port'), `${port}\n`);
    const run = await cli(['publish', '--object-name', 'model', '--version', 'v1'], { HOOKPOST_DATA_DIR: dataDir });
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `hookpost publish: not published: cannot reach Redis at redis://127.0.0.1:${port} (ECONNREFUSED); that URL is the embedded Redis of \`npm start\`, ` +
        `port recorded in ${join(dataDir, 'redis', 'port')} (is \`npm start\` running? or set HOOKPOST_REDIS_URL)\n`,
    );
  }, 120_000);

  it('publish to a Redis that never answers gives up after --connect-timeout, naming HOOKPOST_REDIS_URL', async () => {
    const silent = await silentServer();
    const run = await cli(['publish', '--object-name', 'model', '--version', 'v1', '--connect-timeout', '1'], {
      HOOKPOST_REDIS_URL: `redis://:secret-pw-123@127.0.0.1:${silent.port}`,
    });
    expect(run.code).toBe(1);
    expect(run.stderr).toMatch(new RegExp(`^hookpost publish: not published: .*redis://:\\*\\*\\*@127\\.0\\.0\\.1:${silent.port}.*from HOOKPOST_REDIS_URL`));
    expect(run.stderr).not.toContain('secret-pw-123');
  }, 120_000);

  it('an API that is not there: the URL and where it came from', async () => {
    const port = await freePort();
    const viaEnv = await cli(['deliveries'], { HOOKPOST_URL: `http://127.0.0.1:${port}` });
    expect(viaEnv.code).toBe(1);
    expect(viaEnv.stderr).toBe(`hookpost deliveries: cannot reach the hookpost API at http://127.0.0.1:${port} (from HOOKPOST_URL): ECONNREFUSED; is it running?\n`);
  }, 120_000);

  it.each([
    ['SIGTERM', 143],
    ['SIGINT', 130],
  ] as const)('%s ends a command that waits on a silent Redis or API (exit %i)', async (signal, code) => {
    const silent = await silentServer();
    for (const [args, env] of [
      [['publish', '--object-name', 'model', '--version', 'v1', '--connect-timeout', '600'], { HOOKPOST_REDIS_URL: `redis://127.0.0.1:${silent.port}` }],
      [['deliveries', '--connect-timeout', '600'], { HOOKPOST_URL: `http://127.0.0.1:${silent.port}` }],
      [['test', 'some-hook', '--connect-timeout', '600'], { HOOKPOST_URL: `http://127.0.0.1:${silent.port}` }],
    ] as const) {
      const before = silent.connections();
      const run = spawnChild(process.execPath, [CLI, ...args], env);
      cleanups.push(() => {
        if (run.proc.exitCode === null) run.proc.kill('SIGKILL');
      });
      await eventually(() => silent.connections() > before, 20_000, `${args[0]} to connect`);
      run.proc.kill(signal);
      expect(await run.exited, args[0]).toBe(code);
      expect(run.stderr()).toContain(`hookpost ${args[0]}: interrupted (${signal})`);
    }
  }, 120_000);

  it('a 2xx answer that is not JSON is named as such, with the URL to check', async () => {
    const server = createHttpServer((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Welcome to nginx!</body></html>'));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise((resolve) => server.close(resolve)));
    const port = (server.address() as { port: number }).port;
    const run = await cli(['deliveries', '--url', `http://127.0.0.1:${port}`], {});
    expect(run.code).toBe(1);
    expect(run.stderr).toBe(
      `hookpost deliveries: GET /deliveries?limit=20: http://127.0.0.1:${port} answered 200 with something that is not JSON ` +
        `(text/html: "<html><body>Welcome to nginx!</body></html>"); is http://127.0.0.1:${port} (from --url) the hookpost API?\n`,
    );
  }, 120_000);
});

describe('receiver-controlled text in the terminal', () => {
  const { defer, stack } = useStack();

  it('escape sequences in a response excerpt are shown, not executed; --json keeps them intact', async () => {
    const s = await stack();
    const env = envOf(s);
    const hostile = 'denied\u001b]0;pwned\u0007\u001b[2J\u001b]52;c;ZXZpbA==\u0007\u009b31m\u202eevil';
    const r = await startReceiver(() => ({ status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, body: hostile }));
    defer(() => r.close());
    await s.t.createWebhook({ name: 'hostile', url: `${r.url}/in` } as never);
    expect((await cli(['publish', '--object-name', 'model', '--version', 'v1', '--request-id', 'esc-1'], env)).code).toBe(0);
    const id = await eventually(async () => (await cli(['deliveries', '-q', '--request-id', 'esc-1'], env)).stdout.trim() || undefined, 20_000, 'the delivery');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);

    const shown = await cli(['deliveries', id], env);
    expect(shown.code).toBe(0);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(shown.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(shown.stdout).toContain('response: denied\\x1b]0;pwned\\x07\\x1b[2J\\x1b]52;c;ZXZpbA==\\x07\\x9b31m\\u202eevil');

    const json = await cli(['deliveries', id, '--json'], env);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(json.stdout).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202a-\u202e]/);
    expect(JSON.parse(json.stdout).attempts[0].response_excerpt).toBe(hostile);
  }, 120_000);
});
