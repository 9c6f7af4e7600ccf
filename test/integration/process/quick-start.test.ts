/**
 * The README's quick start runs as pasted. Its shell blocks (sections "Quick start (local)",
 * "Publish an event and watch it arrive", "Walk through it", in README order) are run in order, in
 * a fresh copy of the repository (the files git would check out, no node_modules, no dist, no
 * .hookpost), each in the terminal its comment names: one long-lived bash per terminal, as a person
 * pastes into terminal windows, so variables, `$!` and background jobs carry from block to block.
 * A block whose comment says "until Ctrl-C" keeps its terminal busy; the test waits for its ready
 * line, and at the end sends Ctrl-C to those terminals' process groups as a terminal does.
 *
 * Real processes on loopback only: `npm ci` (from npm's cache when it can), `npm start` (the build,
 * then local mode on 127.0.0.1:8080 with the Redis of local mode's order), the receiver on :9000,
 * curl, the CLI through npx. The fixed ports of the README must be free; a unique HOOKPOST_PREFIX
 * keeps a shared Redis on 6379 apart from other users.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/engine.js';
import { uniquePrefix } from '../../helpers/index.js';
import { REPO_ROOT, readRepoFile } from '../../helpers/metric-names.js';

const SECTIONS = ['## Quick start (local)', '### Publish an event and watch it arrive', '### Walk through it'];

/** What a long-running command prints once it is ready for the next block. */
const READY: ReadonlyArray<readonly [RegExp, RegExp]> = [
  [/\bnpm start\b/, /hookpost is running/],
  [/\bhookpost tail\b/, /deployment_request_completed/],
];

interface Block {
  readonly section: string;
  readonly terminal: number;
  readonly text: string;
  readonly untilCtrlC: boolean;
}

/** The shell blocks of the quick start's sections, in README order, with the terminal each runs in. */
function quickStartBlocks(readme: string): Block[] {
  const headings = [...readme.matchAll(/^#{2,3} .+$/gm)].map((m) => ({ title: m[0], at: m.index ?? 0 }));
  const blocks: Block[] = [];
  let terminal = 1;
  for (const title of SECTIONS) {
    const i = headings.findIndex((h) => h.title === title);
    if (i < 0) throw new Error(`README.md has no heading "${title}" (the quick start test runs its blocks)`);
    const body = readme.slice(headings[i]?.at, headings[i + 1]?.at ?? readme.length);
    for (const m of body.matchAll(/```sh\n([\s\S]*?)```/g)) {
      const text = m[1] ?? '';
      const named = /#.*\bterminal (\d)\b/.exec(text.split('\n')[0] ?? '');
      if (named) terminal = Number(named[1]);
      blocks.push({ section: title, terminal, text, untilCtrlC: /until Ctrl-C/.test(text.split('\n')[0] ?? '') });
    }
  }
  return blocks;
}

/** One terminal: a bash reading pasted blocks, in its own process group (the foreground job of a terminal). */
class Terminal {
  readonly proc: ChildProcess;
  output = '';
  private marks = 0;

  constructor(
    readonly n: number,
    cwd: string,
    env: Record<string, string>,
  ) {
    this.proc = spawn('bash', ['--norc', '--noprofile'], { cwd, env, detached: true, stdio: ['pipe', 'pipe', 'pipe'] });
    const add = (chunk: Buffer) => {
      this.output += chunk.toString();
    };
    this.proc.stdout?.on('data', add);
    this.proc.stderr?.on('data', add);
    // A command that fails is reported and the terminal goes on, as in an interactive shell.
    this.proc.stdin?.write(`trap 'echo "__failed__ $? $BASH_COMMAND"' ERR\n`);
  }

  /**
   * Pastes `text`; returns `done()`, which waits for the exit status of its last command, or
   * 'terminal ended' when the shell went with it (a non-interactive bash follows a foreground command
   * that Ctrl-C killed, as `npx` is: npm re-raises SIGINT on itself once its child has exited).
   */
  paste(text: string): { done: () => Promise<number | 'terminal ended'> } {
    const mark = `__block_${this.n}_${++this.marks}__`;
    this.proc.stdin?.write(`${text}\necho "${mark} $?"\n`);
    const done = () =>
      eventually(
        () => {
          const m = new RegExp(`${mark} (\\d+)`).exec(this.output);
          if (m) return Number(m[1]);
          return this.proc.exitCode !== null || this.proc.signalCode !== null ? ('terminal ended' as const) : undefined;
        },
        300_000,
        `terminal ${this.n} to finish: ${text.trim().split('\n')[0]}`,
      ).catch((err: Error) => {
        throw new Error(`${err.message}\n--- terminal ${this.n} ---\n${this.output.slice(-3000)}`);
      });
    return { done };
  }

  /** Ctrl-C: SIGINT to the terminal's foreground process group. */
  interrupt(): void {
    try {
      process.kill(-(this.proc.pid as number), 'SIGINT');
    } catch {
      // already gone
    }
  }

  kill(): void {
    try {
      process.kill(-(this.proc.pid as number), 'SIGKILL');
    } catch {
      // already gone
    }
  }
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

describe('README quick start', () => {
  const terminals = new Map<number, Terminal>();
  let copy = '';
  afterAll(() => {
    for (const t of terminals.values()) t.kill();
    // The embedded Redis, if local mode started one and did not get to stop it.
    const pidFile = join(copy, '.hookpost', 'redis', 'redis.pid');
    if (copy && existsSync(pidFile)) {
      try {
        process.kill(Number(readFileSync(pidFile, 'utf8')), 'SIGTERM');
      } catch {
        // stopped
      }
    }
    if (copy) rmSync(copy, { recursive: true, force: true });
  }, 180_000);

  it('runs every block as pasted, in order, on a fresh copy of the repository', async () => {
    // The quick start is in the README; the walk-throughs it links to are on two docs pages, read in that order.
    const blocks = quickStartBlocks(['README.md', 'docs/publishing.md', 'docs/visibility.md'].map(readRepoFile).join('\n'));
    expect(blocks.length).toBeGreaterThanOrEqual(6);
    for (const b of blocks) expect(b.text, `${b.section}: no <placeholder> to fill in`).not.toMatch(/<[A-Za-z][\w-]*>/);
    for (const port of [8080, 9000]) expect(await portIsFree(port), `port ${port} (the README's) must be free for this test`).toBe(true);

    // The files a clone has (tracked and new, not ignored): no node_modules, dist or .hookpost.
    copy = mkdtempSync(join(tmpdir(), 'hookpost-quick-start-'));
    execFileSync('bash', ['-c', `git ls-files -z --cached --others --exclude-standard | tar --null -T - --ignore-failed-read -cf - | tar -xf - -C "${copy}"`], {
      cwd: REPO_ROOT,
      stdio: 'pipe',
    });
    expect(existsSync(join(copy, 'node_modules'))).toBe(false);

    const env = {
      PATH: process.env['PATH'] ?? '',
      HOME: process.env['HOME'] ?? '',
      HOOKPOST_PREFIX: uniquePrefix('quickstart'),
      // npm ci as pasted, from npm's cache when the packages are there (the machine is shared).
      npm_config_prefer_offline: 'true',
      npm_config_update_notifier: 'false',
    };
    const terminal = (n: number) => {
      let t = terminals.get(n);
      if (!t) {
        t = new Terminal(n, copy, env);
        terminals.set(n, t);
      }
      return t;
    };

    const finished: Array<{ block: Block; status: () => Promise<number | 'terminal ended'> }> = [];
    for (const block of blocks) {
      const t = terminal(block.terminal);
      const before = t.output.length;
      const { done } = t.paste(block.text);
      if (!block.untilCtrlC) {
        expect(await done(), `${block.section}, terminal ${block.terminal}:\n${block.text}\n--- output ---\n${t.output.slice(before)}`).toBe(0);
        continue;
      }
      const ready = READY.find(([command]) => command.test(block.text))?.[1];
      if (!ready) throw new Error(`no ready line known for a block that runs until Ctrl-C: ${block.text}`);
      await eventually(() => ready.test(t.output.slice(before)), 300_000, `terminal ${block.terminal} to be ready (${ready}); output:\n${t.output.slice(-3000)}`);
      finished.push({ block, status: done });
    }

    const out = (n: number) => terminal(n).output;
    // What the walk-through says happens.
    expect(out(2)).toMatch(/published example-[a-z0-9]+-[0-9a-f]{6}\.completed/);
    expect(out(2)).toContain('1 webhook matches: print');
    expect(out(2)).toMatch(/queued [0-9a-f-]{36}/);
    await eventually(() => (out(2).match(/accepted deployment_request_completed/g) ?? []).length >= 3, 60_000, `three accepted deliveries; terminal 2:\n${out(2).slice(-3000)}`);
    await eventually(() => /success\s+print\s+deployment_request_completed/.test(out(3)) && /failed\s+print/.test(out(3)), 60_000, `tail lines; terminal 3:\n${out(3)}`);
    for (const t of terminals.values()) expect(t.output, `terminal ${t.n}`).not.toContain('__failed__');
    expect(out(1)).toMatch(/Redis {8}redis:\/\/127\.0\.0\.1:\d+ {3}(answering on 127\.0\.0\.1:6379|embedded, data in \.hookpost\/redis)/);

    // Ctrl-C in terminal 3 (tail) and terminal 1 (npm start): both end; npm start with exit 0 after
    // stopping cleanly (npm forwards a second SIGINT to hookpost, which counts once).
    for (const { block, status } of [...finished].reverse()) {
      const t = terminal(block.terminal);
      t.interrupt();
      const ended = await status();
      const why = `Ctrl-C in terminal ${block.terminal}: ${block.text}\n${t.output.slice(-2000)}`;
      if (/\bnpm start\b/.test(block.text)) expect(ended, why).toBe(0);
      else expect([0, 130, 'terminal ended'], why).toContain(ended);
    }
    expect(out(1)).toContain('shutdown complete');
    expect(out(1)).not.toContain('second signal');
  }, 900_000);
});
