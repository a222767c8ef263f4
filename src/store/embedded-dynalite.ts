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

type WorkerReply = { readonly port: number } | { readonly error: string } | 'closed';

function nextReply(worker: Worker): Promise<WorkerReply> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number) => {
      reject(new Error(`the embedded store's thread exited with ${code}`));
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
  const reply = await nextReply(worker).catch(async (error: unknown) => {
    await worker.terminate();
    throw error;
  });
  if (reply === 'closed' || 'error' in reply) {
    await worker.terminate();
    throw new Error(`the embedded store did not start: ${reply === 'closed' ? 'closed' : reply.error}`);
  }
  let closing: Promise<void> | undefined;
  return {
    endpoint: `http://127.0.0.1:${reply.port}`,
    close: () => {
      closing ??= (async () => {
        const closed = nextReply(worker);
        worker.postMessage('close');
        await closed;
        await worker.terminate();
      })();
      return closing;
    },
  };
}

export type { EmbeddedDynalite };
export { startEmbeddedDynalite };
