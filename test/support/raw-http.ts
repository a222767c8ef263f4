/**
 * HTTP/1.1 written by hand on a loopback socket, for requests no HTTP client sends: no
 * Content-Length on a POST, bytes a URL parser would re-encode, garbage on a connection whose
 * response is still streaming. What came back is read as text until the server closes.
 */
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';

interface RawAnswer {
  /** The status code of the first status line, 0 if none arrived. */
  readonly status: number;
  /** Header names lower-cased. */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  /** Everything the server sent, as it came. */
  readonly text: string;
}

/** Splits what a server sent into its first status, headers and the rest. */
function parseRawAnswer(text: string): RawAnswer {
  const split = text.indexOf('\r\n\r\n');
  const head = split === -1 ? text : text.slice(0, split);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon > 0) headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return {
    status: Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1] ?? 0),
    headers,
    body: split === -1 ? '' : text.slice(split + 4),
    text,
  };
}

/** An open connection to `baseUrl`'s host and port, reading everything the server sends. */
async function rawConnection(baseUrl: string): Promise<{
  readonly socket: Socket;
  /** What arrived so far. */
  received(): string;
  /** Resolves once what arrived satisfies `predicate` (rejects after `timeoutMs` or on close). */
  waitFor(predicate: (text: string) => boolean, timeoutMs?: number): Promise<void>;
  /** Resolves with everything the server sent once the connection has closed. */
  readonly closed: Promise<string>;
}> {
  const { hostname, port } = new URL(baseUrl);
  const socket = connect(Number(port), hostname);
  let text = '';
  const waiters = new Set<() => void>();
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => {
    text += chunk;
    for (const waiter of waiters) waiter();
  });
  socket.on('error', () => undefined);
  const closed = new Promise<string>((resolve) => {
    socket.once('close', () => {
      for (const waiter of waiters) waiter();
      resolve(text);
    });
  });
  await once(socket, 'connect');
  return {
    socket,
    received: () => text,
    waitFor: (predicate, timeoutMs = 5000) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (predicate(text)) {
            clearTimeout(timer);
            waiters.delete(check);
            resolve();
          } else if (socket.destroyed) {
            clearTimeout(timer);
            waiters.delete(check);
            reject(new Error(`connection closed before the expected bytes; got ${JSON.stringify(text.slice(0, 200))}`));
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`timed out; got ${JSON.stringify(text.slice(0, 200))}`));
        }, timeoutMs);
        waiters.add(check);
        check();
      }),
    closed,
  };
}

/** Sends `request` as is (it should say `Connection: close`) and resolves with the answer once the server closes. */
async function rawExchange(baseUrl: string, request: string): Promise<RawAnswer> {
  const connection = await rawConnection(baseUrl);
  connection.socket.write(request);
  return parseRawAnswer(await connection.closed);
}

export type { RawAnswer };
export { parseRawAnswer, rawConnection, rawExchange };
