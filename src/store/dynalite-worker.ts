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
import type { Server } from 'node:http';
import { parentPort, workerData } from 'node:worker_threads';

type DynaliteFactory = (options: Record<string, unknown>) => Server;

interface DynaliteWorkerData {
  readonly dataDir?: string | undefined;
  readonly port: number;
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
server.once('error', (error) => {
  port.postMessage({ error: error.message });
});
server.listen(listenPort, '127.0.0.1', () => {
  port.postMessage({ port: (server.address() as AddressInfo).port });
});
/**
 * How often connections are swept while closing. Node's `close()` ends only the connections idle
 * at that moment; a client that keeps its kept-alive socket busy (a feed poller) would hold the
 * store open for ever. Each request in flight is let finish, and its connection is closed at the
 * first sweep that finds it idle.
 */
const CLOSE_SWEEP_MS = 20;

port.on('message', (message: unknown) => {
  if (message !== 'close') return;
  const sweep = setInterval(() => {
    server.closeIdleConnections();
  }, CLOSE_SWEEP_MS);
  server.close((error) => {
    clearInterval(sweep);
    port.postMessage(error instanceof Error ? { closed: true, error: error.message } : { closed: true });
    port.close();
  });
});
