/**
 * A loopback HTTP server that misbehaves on purpose, for the client's robustness tests: each test
 * scripts what every request gets (a refusal with an absurd Retry-After, a stream that ends right
 * after opening, a body that never ends, …). It counts the requests it received and the bytes it
 * managed to hand to its sockets, so a test can tell how hard the client hit it and how much the
 * client read, without measuring the client's memory (which is noisy).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

type Behaviour = (request: IncomingMessage, response: ServerResponse, connection: number) => void;

interface HostileServer {
  /** `http://127.0.0.1:<port>`. */
  readonly url: string;
  /** Requests received so far. */
  readonly connections: number;
  /** Bytes passed to write() on responses that were still open, all requests together. */
  readonly written: number;
  /** Adds to `written` (flood() does it). */
  count(bytes: number): void;
  close(): Promise<void>;
}

async function startHostileServer(behaviour: Behaviour): Promise<HostileServer> {
  const sockets = new Set<Socket>();
  let [connections, written] = [0, 0];
  const server: Server = createServer((request, response) => {
    connections += 1;
    response.on('error', () => undefined);
    behaviour(request, response, connections);
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get connections() {
      return connections;
    },
    get written() {
      return written;
    },
    count: (bytes) => {
      written += bytes;
    },
    close: () =>
      new Promise<void>((closed) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => {
          closed();
        });
      }),
  };
}

const MiB = 1024 * 1024;

/**
 * Writes `chunk` again and again, waiting for each drain, until `budget` bytes are written or
 * the client goes away; then ends the response. Resolves with the bytes written. A client that
 * reads everything makes it write the whole budget; one that stops reading stalls it at what
 * the socket buffers hold.
 */
async function flood(server: HostileServer, response: ServerResponse, chunk: string, budget: number): Promise<number> {
  const bytes = Buffer.byteLength(chunk);
  let sent = 0;
  let gone = response.destroyed;
  response.on('close', () => {
    gone = true;
  });
  while (!gone && sent < budget) {
    const more = response.write(chunk);
    sent += bytes;
    server.count(bytes);
    if (!more) {
      await new Promise<void>((drained) => {
        const done = (): void => {
          response.off('drain', done);
          response.off('close', done);
          drained();
        };
        response.on('drain', done);
        response.on('close', done);
      });
    }
  }
  if (!gone) response.end();
  return sent;
}

/** One SSE event as the server frames it. */
const frame = (event: string, id: string, data: unknown): string =>
  `event: ${event}\nid: ${id}\ndata: ${JSON.stringify(data)}\n\n`;

/** A `stream_open` payload as the contract shapes it. */
const openPayload = (heartbeatMs = 1000, retryMs = 1000) => ({
  outcome: 'fresh',
  retry_ms: retryMs,
  heartbeat_interval_ms: heartbeatMs,
  server_time: new Date().toISOString(),
});

const SSE_HEADERS = { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' } as const;

export type { Behaviour, HostileServer };
export { flood, frame, MiB, openPayload, SSE_HEADERS, startHostileServer };
