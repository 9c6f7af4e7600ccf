/**
 * A black-hole endpoint for isolation tests: accepts TCP connections, reads what arrives, and never
 * answers (like a hung receiver). Counts connections and requests (by request line).
 */
import { type Server, type Socket, createServer } from 'node:net';

export interface BlackHole {
  readonly url: string;
  /** Requests seen (counted by their `POST ` request lines). */
  requests(): number;
  /** `hookpost-delivery-id` headers seen, in arrival order. */
  deliveryIds(): string[];
  close(): Promise<void>;
}

export async function startBlackHole(): Promise<BlackHole> {
  const sockets = new Set<Socket>();
  const ids: string[] = [];
  let requests = 0;
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => {
      const text = chunk.toString('latin1');
      requests += text.match(/^POST /gm)?.length ?? 0;
      for (const m of text.matchAll(/^hookpost-delivery-id: *([^\r\n]+)/gim)) ids.push(String(m[1]));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests: () => requests,
    deliveryIds: () => [...ids],
    async close() {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
