/**
 * The built `hookpost` CLI (dist/src/cli/main.js, the package's `bin`) run as a child process against
 * the real engine and API: publish, tail, deliveries, redeliver, dead-letters (and bulk re-drive),
 * test, help and exit codes.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { eventually } from '../../helpers/engine.js';
import { spawnChild } from '../../helpers/processes.js';
import { startReceiver } from '../../helpers/index.js';
import { REPO_ROOT } from '../../helpers/metric-names.js';
import { type Stack, TOKEN, useStack } from './harness.js';

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
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env['PATH'] ?? '', ...env }, timeout: 20_000 }, (err, stdout, stderr) => {
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
  });

  it('publishes, tails, lists, shows, re-delivers, re-drives and tests', async () => {
    const s = await stack();
    const env = envOf(s);
    let failing = true;
    const r = await startReceiver(() => (failing ? { status: 503, body: 'try later' } : { status: 202, body: 'ok' }));
    defer(() => r.close());
    await s.t.createWebhook({ name: 'cli-hook', url: `${r.url}/in` } as never);

    const tail = spawnChild(process.execPath, [CLI, 'tail', '--interval', '200', '--last', '0'], env);
    defer(async () => {
      if (tail.proc.exitCode === null) tail.proc.kill('SIGKILL');
    });
    // The tail has read its starting point once the first poll is due.
    await new Promise((res) => setTimeout(res, 600));

    const published = await cli(['publish', '--object-name', 'model', '--version', 'v1', '--request-id', 'cli-req-1', '--result', '{"label":"x"}'], env);
    expect(published).toMatchObject({ code: 0, stdout: 'published cli-req-1.completed\n' });
    expect((await cli(['publish', '--object-name', 'model', '--version', 'v1', '--request-id', 'cli-req-1'], env)).stdout).toContain('duplicate cli-req-1.completed');
    const bad = await cli(['publish', '--event', '{"project":"demo"}'], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('not published');

    await eventually(() => tail.stdout().includes('cli-req-1'), 10_000, 'the tail to print the delivery').catch((err) => {
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
    await eventually(() => tail.stdout().split('\n').some((l) => l.includes(deliveryId) && l.includes('success')), 10_000, 'the re-delivery in the tail');
    expect(await cli(['redeliver', '00000000-0000-8000-8000-000000000000'], env)).toMatchObject({ code: 1 });

    // Two more dead letters, re-driven in bulk with a progress line.
    failing = true;
    await cli(['publish', '--object-name', 'model', '--version', 'v1', '--request-id', 'cli-req-2'], env);
    await cli(['publish', '--object-name', 'model', '--version', 'v1', '--request-id', 'cli-req-3'], env);
    await eventually(async () => (await s.call('GET', '/v2.1/projects/demo/dead-letters')).json.length === 2, 10_000, 'two dead letters');
    failing = false;
    const redriven = await cli(['dead-letters', 'redrive', '--webhook', 'cli-hook'], env);
    expect(redriven).toMatchObject({ code: 0, stdout: 'queued 2 dead letter(s)\n' });
    expect(redriven.stderr).toContain('re-driving dead letters: 2 queued, 0 left');
    await eventually(async () => (await s.call('GET', '/v2.1/projects/demo/deliveries?outcome=success')).json.items.length === 3);

    expect(await cli(['test', 'cli-hook'], env)).toMatchObject({ code: 0, stdout: 'test to cli-hook: delivered\n' });
    failing = true;
    expect(await cli(['test', 'cli-hook'], env)).toMatchObject({ code: 1, stdout: 'test to cli-hook: failed: Received HTTP 503\n' });
    expect(await cli(['test', 'no-such-hook'], env)).toMatchObject({ code: 1, stderr: expect.stringContaining('404 webhook "no-such-hook" not found') });
    expect(await cli(['deliveries', '--token', 'wrong-token-0123456789'], env)).toMatchObject({
      code: 1,
      stderr: expect.stringContaining('401 invalid API token (pass --token or set HOOKPOST_TOKEN)'),
    });

    tail.proc.kill('SIGINT');
    expect(await tail.exited).toBe(0);
    expect(tail.stderr()).toBe('');
  });
});
