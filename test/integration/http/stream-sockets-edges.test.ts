/**
 * The lean stream path's own bookkeeping, on a real node:http server and real sockets with stream
 * routes whose answer each test chooses: every connection it holds is released however the client
 * behaves (one that never closes after a refusal or after the server ended its stream, one that
 * closes before a byte), and an unexpected failure after the stream was accepted is logged, as on
 * the node:http path, before the connection is cut.
 */
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCors } from '../../../src/http/cors.ts';
import { NotAcceptableError } from '../../../src/http/errors.ts';
import { LINGER_MS } from '../../../src/http/closing-answer.ts';
import { FIRST_BYTES_WAIT_MS, serveStreamsOnSockets, type StreamSockets } from '../../../src/http/stream-sockets.ts';
import type { StreamExchange, StreamRoutes } from '../../../src/http/streams.ts';
import { type CapturingLogger, capturingLogger } from '../../support/capturing-logger.ts';

const STREAM_REQUEST = 'GET /api/v2/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n';

/** What the stream routes do with the next exchange. */
let answer: (exchange: StreamExchange) => void = () => undefined;
let server: Server;
let sockets: StreamSockets;
let logger: CapturingLogger;
let port = 0;

beforeAll(async () => {
  logger = capturingLogger('WARN');
  server = createServer((_req, res) => {
    res.end('node:http');
  });
  const routes: StreamRoutes = {
    serve: () => {
      throw new Error('not used: the lean path calls serveExchange');
    },
    serveExchange: (exchange) => {
      answer(exchange);
    },
  };
  sockets = serveStreamsOnSockets(server, { streams: routes, cors: createCors([]), logger });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  sockets.destroyAll();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

/** A client that keeps its side open after the server's FIN (as a careless or hostile one would). */
async function halfOpenClient(): Promise<{ socket: Socket; received: () => string; ended: Promise<void> }> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
  socket.on('error', () => undefined);
  let text = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
  });
  const ended = new Promise<void>((resolve) => socket.once('end', resolve));
  await new Promise((resolve) => socket.once('connect', resolve));
  return { socket, received: () => text, ended };
}

/** Waits until the lean path holds `count` connections, failing after `within` ms. */
async function held(count: number, within: number): Promise<void> {
  const deadline = Date.now() + within;
  while (sockets.size !== count) {
    if (Date.now() > deadline) throw new Error(`the lean path still holds ${sockets.size} connections`);
    await sleep(20);
  }
}

describe('connections the lean stream path holds', () => {
  it('are cut LINGER_MS after a refusal when the client never closes its side', async () => {
    answer = (exchange) => {
      exchange.refuse(new NotAcceptableError('This endpoint only produces text/event-stream.'));
    };
    const clients = await Promise.all(Array.from({ length: 50 }, () => halfOpenClient()));
    for (const client of clients) client.socket.write(STREAM_REQUEST);
    await Promise.all(clients.map((client) => client.ended));
    for (const client of clients) expect(client.received()).toMatch(/^HTTP\/1\.1 406 Not Acceptable\r\n/);
    expect(sockets.size).toBe(50);
    await held(0, LINGER_MS + 2000);
    for (const client of clients) client.socket.destroy();
  });

  it('are cut LINGER_MS after the server ended a stream when the client never closes its side', async () => {
    answer = (exchange) => {
      const sink = exchange.accept(1000);
      sink?.write('event: stream_closed\ndata: {}\n\n');
      sink?.end();
    };
    const client = await halfOpenClient();
    client.socket.write(STREAM_REQUEST);
    await client.ended;
    expect(client.received()).toContain('event: stream_closed');
    await held(0, LINGER_MS + 2000);
    client.socket.destroy();
  });

  it('are freed at once when the client closes before sending a byte', async () => {
    const clients = await Promise.all(
      Array.from({ length: 50 }, () => {
        const socket = connect({ port, host: '127.0.0.1' });
        socket.on('error', () => undefined);
        return new Promise<Socket>((resolve) => {
          socket.once('connect', () => {
            resolve(socket.end());
          });
        });
      }),
    );
    // Well before the first-bytes wait would hand them to node:http.
    await held(0, FIRST_BYTES_WAIT_MS / 2);
    for (const socket of clients) socket.destroy();
  });
});

describe('an unexpected failure after the stream was accepted', () => {
  it('is logged as the node:http path logs it, then the connection is cut', async () => {
    answer = (exchange) => {
      exchange.accept(1000);
      exchange.refuse(new TypeError('the engine failed'));
    };
    const before = logger.lines.length;
    const client = await halfOpenClient();
    client.socket.write(STREAM_REQUEST);
    await client.ended;
    const lines = logger.lines.slice(before);
    expect(lines).toEqual([
      expect.objectContaining({ level: 'ERROR', message: 'request failed', path: '/api/v2/stream', method: 'GET' }),
    ]);
    // Nothing of a stream whose headers never went out, and no status line after them.
    expect(client.received()).toBe('');
    await held(0, 2000);
  });
});
