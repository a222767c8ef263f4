/**
 * dynalite as the embedded store serves it: its HTTP server wrapped in two gates, and a close
 * that drains. Runs in the store's thread (dynalite-worker.ts), and in tests in their own process.
 *
 * - RequestGate: requests in flight finish before the database closes; new ones get a 503.
 * - ownerGate: only the owner's signed requests are served; no browser gets CORS (docs/security.md).
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';

type DynaliteFactory = (options: Record<string, unknown>) => Server;
type RequestHandler = (req: IncomingMessage, res: ServerResponse) => void;

interface DynaliteServerOptions {
  readonly dataDir?: string | undefined;
  /** When set, only requests signed with this access key id are served (see ownerGate). */
  readonly accessKeyId?: string | undefined;
}

interface DynaliteServer {
  /** Not listening yet: the caller picks the port. */
  readonly server: Server;
  /** Refuses new requests, lets those in flight finish, then closes the server and its files. */
  close(): Promise<void>;
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

const REFUSED_BODY = JSON.stringify({
  __type: 'com.amazon.coral.service#UnrecognizedClientException',
  message: 'The security token included in the request is invalid.',
});

/**
 * Keeps the store to its owner. Any local process, and any web page in a browser on the machine,
 * can reach a loopback port; dynalite itself accepts every signature and answers every origin with
 * `Access-Control-Allow-Origin: *`. So: no request from a browser's preflight is served, no answer
 * carries a CORS header, and (with an owner's access key id) a request is served only if its
 * signature names that key id. The key id is random per start and never leaves the process but in
 * the Authorization header on loopback, so naming it proves the caller was handed it; dynalite
 * does not check signatures, and recomputing SigV4 here would add no secret the key id is not.
 */
function ownerGate(accessKeyId: string | undefined, handle: RequestHandler): RequestHandler {
  const credential = accessKeyId === undefined ? undefined : `Credential=${accessKeyId}/`;
  return (req, res) => {
    withoutCors(res);
    const signedByOwner = credential === undefined || (req.headers.authorization ?? '').includes(credential);
    if (req.method === 'OPTIONS' || !signedByOwner) {
      req.resume();
      res.writeHead(403, { 'Content-Type': 'application/x-amz-json-1.0' }).end(REFUSED_BODY);
      return;
    }
    handle(req, res);
  };
}

/** Drops every `Access-Control-*` header dynalite sets on this response. */
function withoutCors(res: ServerResponse): void {
  const setHeader = res.setHeader.bind(res);
  res.setHeader = (name, value) => (name.toLowerCase().startsWith('access-control-') ? res : setHeader(name, value));
}

/**
 * Makes the data directory, or throws why it cannot be used. dynalite opens its files in the
 * background and reports no failure: on a directory it cannot use, the store would start, then
 * hang every request or end its thread at the first one ("Database is closed").
 */
function usableDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true });
  accessSync(dataDir, constants.R_OK | constants.W_OK);
}

function createDynaliteServer(options: DynaliteServerOptions): DynaliteServer {
  if (options.dataDir !== undefined) usableDataDir(options.dataDir);
  // dynalite is CommonJS and ships no types.
  const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;
  const server = dynalite({
    ...(options.dataDir === undefined ? {} : { path: options.dataDir }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  const gate = new RequestGate();
  const handlers = server.listeners('request') as RequestHandler[];
  server.removeAllListeners('request');
  for (const handle of handlers) server.on('request', gate.wrap(ownerGate(options.accessKeyId, handle)));
  return { server, close: () => closeDraining(server, gate) };
}

/** Sweeps idle connections while the gate drains, then closes the server (and dynalite's files). */
async function closeDraining(server: Server, gate: RequestGate): Promise<void> {
  const sweep = setInterval(() => {
    server.closeIdleConnections();
  }, CLOSE_SWEEP_MS);
  await gate.close();
  await new Promise<void>((resolve, reject) => {
    server.close((error) => {
      clearInterval(sweep);
      if (error instanceof Error) reject(error);
      else resolve();
    });
  });
}

export type { DynaliteServer, DynaliteServerOptions };
export { createDynaliteServer };
