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
import { randomBytes } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { LOCAL_CREDENTIALS, type LocalCredentials } from './dynamo-client.ts';

/**
 * Who the store answers. `owner`: only requests signed with the random access key id in
 * `credentials`, which the starting process alone holds (`npm start`: another local process or a
 * web page that finds the port gets 403). `any-local-process`: any signature, for tests that
 * hand the endpoint to a child process.
 */
type EmbeddedStoreAccess = 'owner' | 'any-local-process';

interface EmbeddedDynaliteOptions {
  readonly dataDir?: string | undefined;
  /** 0 (the default) picks a free port. */
  readonly port?: number;
  /** `owner` unless said otherwise. */
  readonly access?: EmbeddedStoreAccess;
}

interface EmbeddedDynalite {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** What the store's clients sign with (createDynamoClients(endpoint, credentials)). */
  readonly credentials: LocalCredentials;
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

/** Fresh credentials for an owned store; the well-known local ones for a shared one. */
function credentialsFor(access: EmbeddedStoreAccess): LocalCredentials {
  if (access === 'any-local-process') return LOCAL_CREDENTIALS;
  return { accessKeyId: `owner-${randomBytes(16).toString('hex')}`, secretAccessKey: randomBytes(16).toString('hex') };
}

async function startEmbeddedDynalite(options: EmbeddedDynaliteOptions = {}): Promise<EmbeddedDynalite> {
  const access = options.access ?? 'owner';
  const credentials = credentialsFor(access);
  const worker = new Worker(new URL('./dynalite-worker.ts', import.meta.url), {
    workerData: {
      dataDir: options.dataDir,
      port: options.port ?? 0,
      accessKeyId: access === 'owner' ? credentials.accessKeyId : undefined,
    },
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
    credentials,
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

export type { EmbeddedDynalite, EmbeddedDynaliteOptions, EmbeddedStoreAccess };
export { startEmbeddedDynalite };
