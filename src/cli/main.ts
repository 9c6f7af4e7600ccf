#!/usr/bin/env node
/** Entrypoint of the `hookpost` command (package.json `bin`): wires the process to runCli. */
import { runCli } from './commands.js';

let stop: () => void = () => {};
const stopped = new Promise<void>((resolve) => {
  stop = resolve;
});
// The first Ctrl-C ends `tail` (and waits) cleanly; a second one exits at once.
let interrupts = 0;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (++interrupts > 1) process.exit(130);
    stop();
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
