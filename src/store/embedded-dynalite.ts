/**
 * The embedded DynamoDB-compatible store used by `npm start` and the integration tests: dynalite
 * on a loopback port, in memory or (with `dataDir`) in LevelDB files that survive a restart.
 *
 * dynalite runs in a worker thread of the same process (dynalite-worker.ts). Its request parsing,
 * key encoding and database work then never hold up the server's event loop (a large query no
 * longer delays every stream's write), use the second core, and keep its own HTTP server's
 * header shapes out of the main thread's JIT: sharing one isolate made Node's request-header
 * parsing for every stream connect several times slower (docs/performance.md).
 */
import { Worker } from 'node:worker_threads';

interface EmbeddedDynalite {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Stops the server and closes the database files, then the thread. */
  close(): Promise<void>;
}

/** What the thread posts: its port once it listens, why it could not, or that it closed. */
type WorkerReply =
  { readonly port: number } | { readonly error: string } | { readonly closed: true; readonly error?: string };

/** The thread's next message; rejects if it fails or exits first. */
function nextReply(worker: Worker): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => {
      reject(new Error(`the embedded store's thread exited with ${String(code)}`));
    };
    worker.once('error', reject);
    worker.once('exit', onExit);
    worker.once('message', (reply: WorkerReply) => {
      worker.off('error', reject);
      worker.off('exit', onExit);
      resolve(reply);
    });
  });
}

async function startEmbeddedDynalite(
  options: { dataDir?: string | undefined; port?: number } = {},
): Promise<EmbeddedDynalite> {
  const worker = new Worker(new URL('./dynalite-worker.ts', import.meta.url), {
    workerData: { dataDir: options.dataDir, port: options.port ?? 0 },
  });
  // A thread that dies after it started still throws its error here (no listener), ending the
  // process as a crash of the store did when it ran in the main thread.
  let exited = false;
  worker.once('exit', () => {
    exited = true;
  });
  const reply = await nextReply(worker).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  if (!('port' in reply)) {
    await worker.terminate();
    throw new Error(`the embedded store did not start: ${reply.error ?? 'it closed'}`);
  }
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${String(reply.port)}`,
    close: () => {
      closing ??= exited ? Promise.resolve() : closeThread(worker);
      return closing;
    },
  };
}

/** Asks the thread to close the server and its files, then ends it; rejects with a close that failed. */
async function closeThread(worker: Worker): Promise<void> {
  const replied = nextReply(worker);
  worker.postMessage('close');
  const reply = await replied.finally(() => worker.terminate());
  if ('error' in reply && reply.error !== undefined) {
    throw new Error(`the embedded store did not close cleanly: ${reply.error}`);
  }
}

export type { EmbeddedDynalite };
export { startEmbeddedDynalite };
