/**
 * The lean stream path (src/http/stream-sockets.ts) on the real server: a plain stream request is
 * served from its socket; everything it does not recognize reaches node:http intact, bytes and
 * all (a head in pieces, a silent client, a pipelined request); a client that sends more, or
 * leaves, frees its stream; shutdown ends streams politely and cuts connections still silent.
 * Every event read is checked against the AsyncAPI contract.
 */
import { connect, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseEvent } from '../../../src/contract/index.ts';
import { FIRST_BYTES_WAIT_MS } from '../../../src/http/stream-sockets.ts';
import type { LocalServer } from '../../../src/runtime/local-server.ts';
import { parseRawAnswer, rawConnection } from '../../support/raw-http.ts';
import { parseSseText } from '../../support/sse-text.ts';
import { startTestServer } from '../../support/test-server.ts';

const STREAM_ENV = {
  POLL_INTERVAL_MS: '200',
  HEARTBEAT_INTERVAL_MS: '1000',
  RETRY_MS: '1500',
  MAX_CONNECTIONS: '2000',
};
const STREAM_REQUEST = 'GET /api/v2/stream HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n';

let server: LocalServer;
beforeAll(async () => {
  server = await startTestServer(STREAM_ENV);
});
afterAll(async () => {
  await server.close();
});

/** Waits until the hub holds `count` streams (a freed stream leaves it a tick after its socket closes). */
async function streamsOpen(count: number, within = 5000): Promise<void> {
  const deadline = Date.now() + within;
  while (server.hub.size !== count) {
    if (Date.now() > deadline) throw new Error(`expected ${count} open streams, the hub has ${server.hub.size}`);
    await sleep(20);
  }
}

/** The events of a stream body so far (a trailing partial frame is left out), each checked against the contract. */
function checkedEvents(body: string) {
  const complete = body.slice(0, body.lastIndexOf('\n\n') + 2);
  return parseSseText(complete).frames.map((frame) => {
    const parsed = parseEvent(frame, 'globalStream');
    if (!parsed.ok) throw new Error(`${frame.event} breaks the contract: ${JSON.stringify(parsed.issues)}`);
    return parsed.value;
  });
}

/** Writes `text` in pieces cut at `cuts`, each its own packet, a little apart. */
async function writeInPieces(socket: Socket, text: string, cuts: readonly number[]): Promise<void> {
  socket.setNoDelay(true);
  let from = 0;
  for (const cut of [...cuts, text.length]) {
    socket.write(text.slice(from, cut));
    from = cut;
    await sleep(30);
  }
}

describe('the lean stream path', () => {
  it('serves a plain stream request from its socket: a close-delimited body of valid events', async () => {
    const connection = await rawConnection(server.url);
    connection.socket.write(STREAM_REQUEST);
    await connection.waitFor((text) => text.includes('event: heartbeat'));
    const answer = parseRawAnswer(connection.received());
    expect(answer.status).toBe(200);
    expect(answer.headers.connection).toBe('close');
    expect(answer.headers['transfer-encoding']).toBeUndefined();
    expect(answer.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    expect(answer.headers.date).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const events = checkedEvents(answer.body);
    expect(events[0]?.event).toBe('stream_open');
    expect(events.some((event) => event.event === 'heartbeat')).toBe(true);
    connection.socket.destroy();
    await streamsOpen(0);
  });

  it.each([
    ['one byte at a time', Array.from({ length: STREAM_REQUEST.length - 1 }, (_, i) => i + 1)],
    ['the request line alone first', [STREAM_REQUEST.indexOf('\r\n') + 2]],
    ['all but the last byte first', [STREAM_REQUEST.length - 1]],
  ])('hands a head sent in pieces (%s) to node:http, which serves the same stream', async (_case, cuts) => {
    const connection = await rawConnection(server.url);
    await writeInPieces(connection.socket, STREAM_REQUEST, cuts);
    await connection.waitFor((text) => text.includes('event: heartbeat'));
    const answer = parseRawAnswer(connection.received());
    expect(answer.status).toBe(200);
    expect(answer.headers['transfer-encoding']).toBe('chunked');
    expect(answer.body).toContain('event: stream_open');
    connection.socket.destroy();
    await streamsOpen(0);
  });

  it('hands a stream request with another pipelined behind it to node:http, which serves the stream', async () => {
    const connection = await rawConnection(server.url);
    // Bytes after the head: not the lean path's. node:http serves the stream (chunked, kept alive)
    // and queues the next request behind it, as it does for any pipelined request.
    connection.socket.write(`${STREAM_REQUEST}GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
    await connection.waitFor((text) => text.includes('event: stream_open'));
    const answer = parseRawAnswer(connection.received());
    expect(answer.status).toBe(200);
    expect(answer.headers['transfer-encoding']).toBe('chunked');
    expect(server.streamSockets.size).toBe(0);
    connection.socket.destroy();
    await streamsOpen(0);
  });

  it('hands a HEAD of the stream and a request pipelined behind it to node:http, which answers both in order', async () => {
    const connection = await rawConnection(server.url);
    const head = STREAM_REQUEST.replace('GET', 'HEAD');
    connection.socket.write(`${head}GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
    const text = await connection.closed;
    expect(text.match(/^HTTP\/1\.1 200 OK/gm)).toHaveLength(2);
    expect(text.indexOf('text/event-stream')).toBeLessThan(text.indexOf('application/json'));
  });

  it(
    'hands a connection silent for its first bytes to node:http, which still answers it',
    async () => {
      const connection = await rawConnection(server.url);
      await sleep(FIRST_BYTES_WAIT_MS + 500);
      connection.socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n');
      const answer = parseRawAnswer(await connection.closed);
      expect(answer.status).toBe(200);
      expect(answer.headers['content-type']).toContain('application/json');
    },
    FIRST_BYTES_WAIT_MS + 10_000,
  );

  it.each([
    ['sends bytes after its request', (socket: Socket) => socket.write('x')],
    ['half-closes (FIN)', (socket: Socket) => socket.end()],
    ['resets the connection', (socket: Socket) => socket.resetAndDestroy()],
  ])('ends the stream of a client that %s, and frees its slot', async (_case, leave) => {
    const connection = await rawConnection(server.url);
    connection.socket.write(STREAM_REQUEST);
    await connection.waitFor((text) => text.includes('event: stream_open'));
    await streamsOpen(1);
    leave(connection.socket);
    await connection.closed;
    await streamsOpen(0);
  });

  it('frees every slot of 1,000 clients that leave at once, at every step of the connect', async () => {
    const { port } = new URL(server.url);
    const sockets = await Promise.all(
      Array.from({ length: 1000 }, (_, i) => {
        const socket = connect(Number(port), '127.0.0.1');
        socket.on('error', () => undefined);
        return new Promise<Socket>((resolve) => {
          const leave = () => {
            resolve(socket.destroy());
          };
          socket.once('connect', () => {
            // Some leave before a byte, some mid-head, some right after it, some once it opened.
            const step = i % 4;
            if (step === 0) {
              leave();
              return;
            }
            socket.write(step === 1 ? STREAM_REQUEST.slice(0, 20) : STREAM_REQUEST);
            if (step === 3) socket.once('data', leave);
            else setImmediate(leave);
          });
        });
      }),
    );
    expect(sockets).toHaveLength(1000);
    await streamsOpen(0);
    // The server still serves.
    const connection = await rawConnection(server.url);
    connection.socket.write(STREAM_REQUEST);
    await connection.waitFor((text) => text.includes('event: stream_open'));
    connection.socket.destroy();
    await streamsOpen(0);
  });

  it('holds 1,000 lean streams at once, each with its own valid opening', async () => {
    const connections = await Promise.all(Array.from({ length: 1000 }, () => rawConnection(server.url)));
    for (const connection of connections) connection.socket.write(STREAM_REQUEST);
    await Promise.all(connections.map((c) => c.waitFor((text) => text.includes('event: stream_open'), 20_000)));
    await streamsOpen(1000);
    for (const connection of connections) {
      const answer = parseRawAnswer(connection.received());
      expect(answer.headers.connection).toBe('close');
      expect(checkedEvents(answer.body)[0]?.event).toBe('stream_open');
    }
    for (const connection of connections) connection.socket.destroy();
    await streamsOpen(0);
  });
});

describe('the lean stream path at shutdown', () => {
  it('ends its streams with a reconnect hint and cuts connections that never spoke', async () => {
    const doomed = await startTestServer(STREAM_ENV);
    const stream = await rawConnection(doomed.url);
    stream.socket.write(STREAM_REQUEST);
    await stream.waitFor((text) => text.includes('event: stream_open'));
    const silent = await rawConnection(doomed.url);
    const started = Date.now();
    const closing = doomed.close();
    // The silent one is closed as shutdown starts: not after its first-bytes wait, and not by
    // the cut of whatever is still open 1 s later.
    await silent.closed;
    expect(Date.now() - started).toBeLessThan(900);
    await closing;
    await stream.closed;
    const events = checkedEvents(parseRawAnswer(stream.received()).body);
    expect(events.at(-1)).toMatchObject({ event: 'reconnect', data: { reason: 'shutdown' } });
    expect(silent.received()).toBe('');
  });
});
