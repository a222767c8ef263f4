/**
 * The embedded store's thread: runs dynalite and answers on a loopback port. Started by
 * embedded-dynalite.ts with `{ dataDir?, port }` as its workerData; posts `{ port }` once it
 * listens (or `{ error }`), and on the message `'close'` stops the server, which closes the
 * database files, then posts `{ closed: true }` (with `error` if dynalite could not close cleanly).
 *
 * Plain erasable TypeScript: Node runs it as it is, in a worker thread.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

type DynaliteFactory = (options: Record<string, unknown>) => Server;
type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

interface DynaliteWorkerData {
  readonly dataDir?: string | undefined;
  readonly port: number;
}

/**
 * How often connections are swept while closing. Node's `close()` ends only the connections idle
 * at that moment; a client that keeps its kept-alive socket busy (a feed poller) would hold the
 * store open for ever. Each request in flight is let finish, and its connection is closed at the
 * first sweep that finds it idle.
 */
const CLOSE_SWEEP_MS = 20;
/** Longest wait for the requests dynalite is working on before the database is closed anyway. */
const DRAIN_TIMEOUT_MS = 5_000;

/** What a request gets once closing has begun: DynamoDB's retryable 503, and its connection closed. */
const CLOSING_BODY = JSON.stringify({
  __type: 'com.amazonaws.dynamodb.v20120810#ServiceUnavailableException',
  message: 'The embedded store is closing.',
});

/**
 * Counts the requests dynalite is working on, and refuses new ones once closing. dynalite closes
 * its database as soon as its connections are gone, but a request whose client hung up (a server
 * shutting down destroys its SDK client) is still being worked on, and its next read of the
 * closed database throws, which ended the thread and the process. A request counts until dynalite
 * ends its response: `end` is the one call every path of dynalite makes, whether or not the
 * client is still there ('finish' does not come for a client that left).
 */
class RequestGate {
  #inFlight = 0;
  #closing = false;
  #drained: (() => void) | undefined;

  wrap(handle: RequestHandler): RequestHandler {
    return (req, res) => {
      if (this.#closing) {
        res.writeHead(503, { 'Content-Type': 'application/x-amz-json-1.0', Connection: 'close' }).end(CLOSING_BODY);
        return;
      }
      this.#inFlight += 1;
      const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
      res.end = ((...args: unknown[]) => {
        this.#settle();
        return end(...args);
      }) as ServerResponse['end'];
      handle(req, res);
    };
  }

  /** Refuses new requests; resolves once those in flight are answered (or after the timeout). */
  close(): Promise<void> {
    this.#closing = true;
    if (this.#inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, DRAIN_TIMEOUT_MS);
      this.#drained = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  #settle(): void {
    this.#inFlight -= 1;
    if (this.#inFlight === 0) this.#drained?.();
  }
}

const port = parentPort;
if (port === null) throw new Error('dynalite-worker.ts runs as a worker thread');
const { dataDir, port: listenPort } = workerData as DynaliteWorkerData;
// dynalite is CommonJS and ships no types.
const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;
const server = dynalite({
  ...(dataDir === undefined ? {} : { path: dataDir }),
  createTableMs: 0,
  deleteTableMs: 0,
  updateTableMs: 0,
});
const gate = new RequestGate();
const handlers = server.listeners('request') as RequestHandler[];
server.removeAllListeners('request');
for (const handle of handlers) server.on('request', gate.wrap(handle));

server.once('error', (error) => {
  port.postMessage({ error: error.message });
});
server.listen(listenPort, '127.0.0.1', () => {
  port.postMessage({ port: (server.address() as AddressInfo).port });
});

port.on('message', (message: unknown) => {
  if (message !== 'close') return;
  const sweep = setInterval(() => {
    server.closeIdleConnections();
  }, CLOSE_SWEEP_MS);
  void gate.close().then(() => {
    server.close((error) => {
      clearInterval(sweep);
      port.postMessage(error instanceof Error ? { closed: true, error: error.message } : { closed: true });
      port.close();
    });
  });
});
