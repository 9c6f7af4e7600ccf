#!/usr/bin/env node
/** Entrypoint of the `hookpost` command (package.json `bin`): wires the process to runCli. */
import { runCli } from './commands.js';

let stop: (signal: string) => void = () => {};
const stopped = new Promise<string | undefined>((resolve) => {
  stop = resolve;
});
// The first Ctrl-C or SIGTERM ends `tail` cleanly and any other command at once; a second one
// exits whatever is still running.
// The same signal again within 2 s is the same request: a terminal's Ctrl-C reaches npx (npm exec) and
// hookpost at once, and npm forwards its own copy.
let first: { signal: string; at: number } | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (first === undefined) {
      first = { signal, at: Date.now() };
      stop(signal);
    } else if (signal !== first.signal || Date.now() - first.at >= 2_000) {
      process.exit(signal === 'SIGTERM' ? 143 : 130);
    }
  });
}

const code = await runCli(process.argv.slice(2), process.env, {
  out: (line) => process.stdout.write(`${line}\n`),
  err: (line) => process.stderr.write(line.startsWith('\r') || line === '\n' ? line : `${line}\n`),
  errIsTty: process.stderr.isTTY === true,
  stopped,
});
process.exitCode = code;
// Open handles (a keep-alive socket, a Redis connection closing) must not keep a finished command alive.
setTimeout(() => process.exit(code), 200).unref();
