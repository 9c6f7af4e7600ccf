/**
 * Benchmark receiver, run as its own process so its CPU is not the worker's: answers 204 (or, with
 * `--blackhole`, accepts connections and never answers, like a dead endpoint) and reports
 * `[request_id, receivedAtMs]` pairs to the parent over IPC in batches.
 */
import { createServer } from 'node:http';
import { performance } from 'node:perf_hooks';

const blackhole = process.argv.includes('--blackhole');
const now = () => performance.timeOrigin + performance.now();
let batch: Array<[string, number]> = [];
let connections = 0;

const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    if (blackhole) return;
    const at = now();
    const body = Buffer.concat(chunks).toString();
    const match = /"request_id":"([^"]+)"/.exec(body);
    batch.push([match?.[1] ?? '?', at]);
    res.writeHead(204);
    res.end();
  });
});
server.keepAliveTimeout = 60_000;
server.on('connection', () => {
  connections++;
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.send?.({ port: typeof address === 'object' && address ? address.port : 0 });
});
setInterval(() => {
  if (batch.length > 0) {
    process.send?.({ received: batch, connections });
    batch = [];
  }
}, 20).unref();
process.on('disconnect', () => process.exit(0));
