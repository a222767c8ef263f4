/**
 * A loopback HTTP proxy in front of a real DynamoDB endpoint (dynalite), for fault tests. It reads
 * each call whole, names it by its operation (`X-Amz-Target`), counts it, and asks a hook what
 * to do with it: forward it, delay it, drop its connection (an unreachable store), answer it
 * itself (a throttled write, a DynamoDB error) or hold it until the test decides. Counts are
 * kept per operation, so a test measures the store work of the process under test from outside.
 */
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

interface StoreCall {
  /** 1-based, in order of complete arrival. */
  readonly number: number;
  /** The DynamoDB operation, e.g. `Query`. */
  readonly operation: string;
  /** The request body, in DynamoDB's wire JSON. */
  readonly input: Record<string, unknown>;
  /** Resolves if the caller closes its connection before it has its answer. */
  readonly abandoned: Promise<void>;
}

/**
 * What becomes of a call. `drop` resets its connection unanswered; `answer` is sent as DynamoDB
 * JSON (status 200 unless told) and the store never sees the call. A forward happens even if the
 * caller has left meanwhile, as a real store gets what was sent.
 */
type Action =
  'forward' | 'drop' | { readonly delayMs: number } | { readonly answer: unknown; readonly status?: number };

/** Decides each call; while a returned promise is pending, the call is held. */
type Hook = (call: StoreCall) => Action | Promise<Action>;

interface StoreProxy {
  /** `http://127.0.0.1:<port>`: the DynamoDB endpoint to give the process under test. */
  readonly endpoint: string;
  /** Decides every call from now on. */
  hook: Hook;
  /** Calls of `operation` received so far. */
  seen(operation: string): number;
  /** Calls of `operation` answered in full so far (by the store or the hook). */
  completed(operation: string): number;
  /** Resolves once no call is held, delayed or waiting for the store. */
  idle(): Promise<void>;
  /** Resets every open connection, calls in flight included: a store that goes away. */
  resetConnections(): void;
  close(): Promise<void>;
}

interface HeldCall {
  readonly call: StoreCall;
  /** Ends the hold: the call goes on as `action` says. */
  settle(action: Action): void;
}

const forwardAll: Hook = () => 'forward';

/** A hook that holds the first call matching `predicate` (`held` resolves with it) and forwards all others. */
function holdFirst(predicate: (call: StoreCall) => boolean): { hook: Hook; held: Promise<HeldCall> } {
  const held = Promise.withResolvers<HeldCall>();
  let caught = false;
  const hook: Hook = (call) => {
    if (caught || !predicate(call)) return 'forward';
    caught = true;
    const decision = Promise.withResolvers<Action>();
    held.resolve({ call, settle: decision.resolve });
    return decision.promise;
  };
  return { hook, held: held.promise };
}

const increment = (counts: Map<string, number>, key: string) => counts.set(key, (counts.get(key) ?? 0) + 1);

function parse(body: Buffer): Record<string, unknown> {
  try {
    return JSON.parse(body.toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function startStoreProxy(target: string, hook: Hook = forwardAll): Promise<StoreProxy> {
  const upstream = new URL(target);
  const seen = new Map<string, number>();
  const completed = new Map<string, number>();
  const busy = new Set<Promise<void>>();
  let received = 0;

  /** Relays the call to the store and its answer back; resolves when that is over either way. */
  const forward = (req: IncomingMessage, body: Buffer, res: ServerResponse, operation: string) =>
    new Promise<void>((done) => {
      const out = request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
          answer.once('end', () => {
            increment(completed, operation);
            done();
          });
          answer.once('error', () => {
            done();
          });
        },
      );
      // The store applied the call or never got it; either way this forward is over.
      out.once('error', () => {
        res.destroy();
        done();
      });
      out.end(body);
    });

  const handle = async (req: IncomingMessage, res: ServerResponse, body: Buffer) => {
    const operation =
      String(req.headers['x-amz-target'] ?? '')
        .split('.')
        .pop() ?? '';
    received += 1;
    increment(seen, operation);
    const abandoned = new Promise<void>((resolve) => {
      res.once('close', () => {
        if (!res.writableFinished) resolve();
      });
    });
    const action = await proxy.hook({ number: received, operation, input: parse(body), abandoned });
    if (action === 'drop') {
      req.socket.destroy();
      return;
    }
    if (action === 'forward' || 'delayMs' in action) {
      if (action !== 'forward') await sleep(action.delayMs);
      await forward(req, body, res, operation);
      return;
    }
    if (res.destroyed) return;
    const text = JSON.stringify(action.answer);
    res.writeHead(action.status ?? 200, {
      'content-type': 'application/x-amz-json-1.0',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
    increment(completed, operation);
  };

  const server = createServer((req, res) => {
    const handling = readBody(req)
      .then((body) => handle(req, res, body))
      .catch(() => {
        req.socket.destroy();
      });
    busy.add(handling);
    void handling.then(() => busy.delete(handling));
  });
  // Callers die with their sockets open (a killed writer); their resets are expected here.
  server.on('clientError', (_error, socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const proxy: StoreProxy = {
    endpoint: `http://127.0.0.1:${port}`,
    hook,
    seen: (operation) => seen.get(operation) ?? 0,
    completed: (operation) => completed.get(operation) ?? 0,
    idle: async () => {
      while (busy.size > 0) await Promise.all([...busy]);
    },
    resetConnections: () => {
      server.closeAllConnections();
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => {
          resolve();
        });
      }),
  };
  return proxy;
}

export type { Action, HeldCall, Hook, StoreCall, StoreProxy };
export { holdFirst, startStoreProxy };
