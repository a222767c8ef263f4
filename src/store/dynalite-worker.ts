/**
 * The embedded store's thread: runs dynalite (dynalite-server.ts) on a loopback port. Started by
 * embedded-dynalite.ts with `{ dataDir?, port, accessKeyId? }` as its workerData; posts `{ port }`
 * once it listens (or `{ error }`), and on the message `'close'` stops the server, which closes the
 * database files, then posts `{ closed: true }` (with `error` if dynalite could not close cleanly).
 *
 * Plain erasable TypeScript: Node runs it as it is, in a worker thread. All it holds is the
 * thread's side of that exchange; what the server does is in dynalite-server.ts, where tests in
 * the test process reach it (and coverage, which does not see into worker threads, measures it).
 */
import type { AddressInfo } from 'node:net';
import { parentPort, workerData } from 'node:worker_threads';
import { createDynaliteServer, type DynaliteServerOptions } from './dynalite-server.ts';

interface DynaliteWorkerData extends DynaliteServerOptions {
  readonly port: number;
}

const port = parentPort;
if (port === null) throw new Error('dynalite-worker.ts runs as a worker thread');
const { port: listenPort, ...options } = workerData as DynaliteWorkerData;
const dynalite = createDynaliteServer(options);
const { server } = dynalite;

server.once('error', (error) => {
  port.postMessage({ error: error.message });
});
server.listen(listenPort, '127.0.0.1', () => {
  port.postMessage({ port: (server.address() as AddressInfo).port });
});

port.on('message', (message: unknown) => {
  if (message !== 'close') return;
  void dynalite
    .close()
    .then(
      () => {
        port.postMessage({ closed: true });
      },
      (error: unknown) => {
        port.postMessage({ closed: true, error: error instanceof Error ? error.message : String(error) });
      },
    )
    .finally(() => {
      port.close();
    });
});
