/**
 * Benchmark receiver, run as its own process so its CPU is not the worker's or the bench loop's.
 *
 *   --kind=ok         answers 204 at once (the default)
 *   --kind=blackhole  accepts the TCP connection and never reads or answers (a dead endpoint);
 *                     the sockets are kept until the process exits
 *   --kind=slow       answers 204 after a random delay in [--slow-min-ms, --slow-max-ms] (5-25 s)
 *   --kind=error      answers 500 at once
 *   --blackhole       (older flag) reads the HTTP request and never answers
 *   --ports=N         listens on N ports of 127.0.0.1 (N origins), default 1
 *
 * Reports to the parent over IPC: first `{ port, ports }`; then, every 20 ms when something
 * arrived, `{ received: [[request_id, receivedAtMs, deliveryId, port], ...], connections }` (kind
 * `ok` only) and `{ counts: [[port, requests], ...] }` (cumulative, every kind). For `blackhole` a
 * request is a connection: undici sends at most one request per connection until it is answered.
 */
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type Server, type Socket, createServer as createTcpServer } from 'node:net';
import { performance } from 'node:perf_hooks';

const flag = (name: string) => process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const legacyBlackhole = process.argv.includes('--blackhole');
const kind = flag('kind') ?? 'ok';
const portCount = Number(flag('ports') ?? 1);
const slowMinMs = Number(flag('slow-min-ms') ?? 5_000);
const slowMaxMs = Number(flag('slow-max-ms') ?? 25_000);
if (!['ok', 'blackhole', 'slow', 'error'].includes(kind)) throw new Error(`unknown --kind=${kind}`);

const now = () => performance.timeOrigin + performance.now();
let batch: Array<[string, number, string, number]> = [];
let connections = 0;
const counts = new Map<number, number>();
let countsChanged = false;
const sockets = new Set<Socket>();

const count = (port: number) => {
  counts.set(port, (counts.get(port) ?? 0) + 1);
  countsChanged = true;
};

function handle(port: number, req: IncomingMessage, res: ServerResponse) {
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    count(port);
    if (legacyBlackhole) return;
    if (kind === 'error') {
      res.writeHead(500);
      res.end();
      return;
    }
    if (kind === 'slow') {
      setTimeout(
        () => {
          res.writeHead(204);
          res.end();
        },
        slowMinMs + Math.random() * (slowMaxMs - slowMinMs),
      );
      return;
    }
    const at = now();
    const body = Buffer.concat(chunks).toString();
    const match = /"request_id":"([^"]+)"/.exec(body);
    const deliveryId = req.headers['hookpost-delivery-id'];
    batch.push([match?.[1] ?? '?', at, typeof deliveryId === 'string' ? deliveryId : '?', port]);
    res.writeHead(204);
    res.end();
  });
}

function listen(): Promise<number> {
  let port = 0;
  let server: Server;
  if (kind === 'blackhole') {
    server = createTcpServer({ pauseOnConnect: true }, (socket) => {
      sockets.add(socket);
      count(port);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    });
  } else {
    const http = createHttpServer((req, res) => handle(port, req, res));
    http.keepAliveTimeout = 60_000;
    // A slow answer may take 25 s; never let the server's own timeouts cut it.
    http.requestTimeout = 0;
    http.headersTimeout = 0;
    server = http;
  }
  server.on('connection', () => {
    connections++;
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      port = typeof address === 'object' && address ? address.port : 0;
      resolve(port);
    });
  });
}

const ports: number[] = [];
for (let i = 0; i < portCount; i++) ports.push(await listen());
process.send?.({ port: ports[0], ports });

setInterval(() => {
  if (batch.length > 0) {
    process.send?.({ received: batch, connections });
    batch = [];
  }
  if (countsChanged) {
    process.send?.({ counts: [...counts] });
    countsChanged = false;
  }
}, 20).unref();

function exit() {
  for (const socket of sockets) socket.destroy();
  process.exit(0);
}
process.on('disconnect', exit);
process.on('SIGTERM', exit);
