/**
 * The lean stream path: a connection whose first bytes are a plain `GET` of a stream route is
 * served from its socket, without node:http's request, response and parser. A node:http
 * connection costs about 16 KiB for as long as it is open, a bare socket about 4 KiB; a stream is
 * open for hours and a fleet holds tens of thousands (docs/performance.md, "A stream path below
 * node:http").
 *
 * Everything else goes to node:http untouched, bytes and all: a request that is not exactly one
 * complete plain head in the first read (request-head.ts), any other route, HEAD, a body, a
 * client that sends nothing for FIRST_BYTES_WAIT_MS. Its answer is then the one node:http gives.
 * The lean path answers only what it recognized: the stream (the same checks, the same engine,
 * through StreamRoutes.serveExchange) or its refusal, as the same problem with the same headers.
 *
 * Differences on the wire, both allowed by HTTP/1.1 and read by every SSE client: the stream's
 * body is delimited by the connection's close (`Connection: close`, no chunked framing), and the
 * connection is not reused after the answer.
 */
import type { Server } from 'node:http';
import type { Socket } from 'node:net';
import { LogLevelThreshold } from '@aws-lambda-powertools/logger';
import type { Logger } from '../observability/logger.ts';
import type { SseSink } from '../stream/sink.ts';
import { ClientGoneError } from './client-gone.ts';
import { closingHead, endThenCut } from './closing-answer.ts';
import type { Cors } from './cors.ts';
import { PROBLEM_CONTENT_TYPE, toProblem } from './problem.ts';
import { recognizeRequestHead, type RequestHead } from './request-head.ts';
import { splitUrl } from './raw-response.ts';
import { API_SECURITY_HEADERS } from './security-headers.ts';
import {
  matchStreamRoute,
  prepareStreamSocket,
  STREAM_HEADERS,
  type StreamExchange,
  type StreamRoutes,
} from './streams.ts';

/**
 * How long a new connection may stay silent before it is handed to node:http (which then applies
 * its own header timeout): a browser's speculative connection sends its request later.
 */
const FIRST_BYTES_WAIT_MS = 5_000;

interface StreamSocketsDeps {
  readonly streams: StreamRoutes;
  readonly cors: Cors;
  readonly logger: Logger;
}

interface StreamSockets {
  /** Connections the lean path holds now: waiting for their first bytes, or answered from the socket. */
  readonly size: number;
  /** Shutdown: stops waiting for first bytes (those connections are closed). */
  closeWaiting(): void;
  /** Shutdown, after the streams were ended politely: cuts whatever the lean path still holds. */
  destroyAll(): void;
}

type ConnectionListener = (socket: Socket) => void;

/**
 * Node's own `connection` listener of an HTTP server, taken off it: from now on a connection
 * reaches node:http only when it is handed over. Node documents emitting `connection` to inject a
 * socket into an HTTP server; calling its listener is the same, without emitting to ourselves.
 */
function takeNodeHttpListener(server: Server): ConnectionListener {
  const listeners = server.listeners('connection') as ConnectionListener[];
  const [nodeHttp] = listeners;
  if (listeners.length !== 1 || typeof nodeHttp !== 'function') {
    throw new Error('the HTTP server must have node:http’s own connection listener, and only it');
  }
  server.removeListener('connection', nodeHttp);
  return nodeHttp;
}

/** Socket listeners shared by every connection (`this` is the socket), so a connection holds no closures. */
function ignoreError(): void {
  // A socket error is followed by `close`, where everything is released.
}
function destroySocket(this: Socket): void {
  this.destroy();
}

/** Routes every new connection of `httpServer`: streams it recognizes from the socket, the rest to node:http. */
function serveStreamsOnSockets(httpServer: Server, deps: StreamSocketsDeps): StreamSockets {
  const nodeHttp = takeNodeHttpListener(httpServer);
  const waiting = new Set<Socket>();
  const answered = new Set<Socket>();
  const exchangeDeps: ExchangeDeps = { cors: deps.cors, logger: deps.logger, logAnswer: answerLog(deps.logger) };

  function forget(this: Socket): void {
    waiting.delete(this);
    answered.delete(this);
  }

  const handOver = (socket: Socket, bytes?: Buffer): void => {
    waiting.delete(socket);
    socket.removeListener('data', onFirstBytes);
    socket.removeListener('end', destroySocket);
    socket.removeListener('timeout', onSilence);
    socket.removeListener('error', ignoreError);
    socket.removeListener('close', forget);
    socket.setTimeout(0);
    socket.pause();
    if (bytes !== undefined) socket.unshift(bytes);
    nodeHttp.call(httpServer, socket);
    // node:http reads on from its own listeners; the bytes put back come first.
    process.nextTick(() => socket.resume());
  };

  function onSilence(this: Socket): void {
    handOver(this);
  }

  function onFirstBytes(this: Socket, bytes: Buffer): void {
    const head = recognizeRequestHead(bytes);
    const route = head === undefined ? undefined : matchStreamRoute({ method: head.method, url: head.target });
    if (head === undefined || route === undefined) {
      handOver(this, bytes);
      return;
    }
    waiting.delete(this);
    answered.add(this);
    this.removeListener('timeout', onSilence);
    this.setTimeout(0);
    // Nothing may follow the head: a client that sends more is not one to stream to.
    this.on('data', destroySocket);
    deps.streams.serveExchange(new SocketExchange(this, head, exchangeDeps), route);
  }

  httpServer.on('connection', (socket: Socket) => {
    waiting.add(socket);
    socket.on('error', ignoreError);
    socket.on('close', forget);
    // A client that closes its side (or sends its request and closes it) is not one to stream
    // to; one that closes before a byte (a health check, a port scan) is freed at once.
    socket.on('end', destroySocket);
    socket.setTimeout(FIRST_BYTES_WAIT_MS, onSilence);
    socket.once('data', onFirstBytes);
  });

  return {
    get size() {
      return waiting.size + answered.size;
    },
    closeWaiting() {
      for (const socket of waiting) socket.destroy();
    },
    destroyAll() {
      for (const socket of [...waiting, ...answered]) socket.destroy();
    },
  };
}

type AnswerLog = (head: RequestHead, status: number, startedAt: number) => void;

/** One debug line per answer, as node:http requests get (the path only: a query can carry a stream token). */
function answerLog(logger: Logger): AnswerLog {
  if (logger.level > LogLevelThreshold.DEBUG) return () => undefined;
  return (head, status, startedAt) => {
    logger.debug('request', {
      method: head.method,
      path: splitUrl(head.target).path,
      status,
      duration_ms: Math.round((performance.now() - startedAt) * 10) / 10,
    });
  };
}

/** What every lean exchange shares: one object per server, not per connection. */
interface ExchangeDeps {
  readonly cors: Cors;
  readonly logger: Logger;
  readonly logAnswer: AnswerLog;
}

/** A stream request read from a bare socket, answered on it. */
class SocketExchange implements StreamExchange {
  readonly method = 'GET';
  readonly headers: Readonly<Record<string, string>>;
  readonly #socket: Socket;
  readonly #head: RequestHead;
  readonly #deps: ExchangeDeps;
  readonly #startedAt = performance.now();
  #accepted = false;

  constructor(socket: Socket, head: RequestHead, deps: ExchangeDeps) {
    this.#socket = socket;
    this.#head = head;
    this.headers = head.headers;
    this.#deps = deps;
  }

  remoteAddress(): string | undefined {
    return this.#socket.remoteAddress;
  }

  watchGone() {
    const controller = new AbortController();
    const socket = this.#socket;
    const onClose = () => {
      controller.abort(new ClientGoneError());
    };
    if (socket.destroyed) onClose();
    else socket.once('close', onClose);
    return {
      signal: controller.signal,
      release: () => {
        socket.off('close', onClose);
      },
    };
  }

  refuse(error: unknown): void {
    const socket = this.#socket;
    if (error instanceof ClientGoneError) return void socket.destroy();
    const path = splitUrl(this.#head.target).path;
    const problem = toProblem(error, path);
    if (problem.unexpected) this.#deps.logger.error('request failed', { path, method: this.method, error });
    // A stream whose headers are out cannot change its status: it is cut, as node:http's is.
    if (this.#accepted) return void socket.destroy();
    const body = JSON.stringify(problem.body);
    const head = closingHead(problem.status, {
      ...API_SECURITY_HEADERS,
      ...this.#corsHeaders(),
      ...problem.headers,
      'Content-Type': PROBLEM_CONTENT_TYPE,
      'Content-Length': String(Buffer.byteLength(body)),
    });
    this.#deps.logAnswer(this.#head, problem.status, this.#startedAt);
    endThenCut(socket, head + body);
  }

  accept(heartbeatIntervalMs: number): SseSink {
    this.#accepted = true;
    prepareStreamSocket(this.#socket, heartbeatIntervalMs);
    this.#deps.logAnswer(this.#head, 200, this.#startedAt);
    return new SocketSink(this.#socket, closingHead(200, { ...STREAM_HEADERS, ...this.#corsHeaders() }));
  }

  #corsHeaders(): Readonly<Record<string, string>> {
    return this.#deps.cors.headersFor(this.#head.headers.origin);
  }
}

/**
 * The engine's sink on a bare socket. The response head goes out with the first frames, in one
 * write (one packet), as the node:http path sends it.
 */
class SocketSink implements SseSink {
  readonly #socket: Socket;
  #head: string | undefined;

  constructor(socket: Socket, head: string) {
    this.#socket = socket;
    this.#head = head;
  }

  write(chunk: string): boolean {
    const head = this.#head;
    if (head === undefined) return this.#socket.write(chunk);
    this.#head = undefined;
    return this.#socket.write(head + chunk);
  }

  end(): void {
    const head = this.#head;
    this.#head = undefined;
    endThenCut(this.#socket, head);
  }

  destroy(): void {
    this.#socket.destroy();
  }

  onDrain(listener: () => void): void {
    this.#socket.on('drain', listener);
  }

  onClose(listener: () => void): void {
    if (this.#socket.destroyed) setImmediate(listener);
    else this.#socket.once('close', listener);
  }
}

export type { StreamSockets };
export { FIRST_BYTES_WAIT_MS, serveStreamsOnSockets };
