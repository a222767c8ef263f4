/**
 * The embedded DynamoDB-compatible store used by `npm start` and the integration tests: dynalite
 * on a loopback port, in memory or (with `dataDir`) in LevelDB files that survive a restart.
 */
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import type { Server } from 'node:http';

interface EmbeddedDynalite {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** Stops the server and closes the database files. */
  close(): Promise<void>;
}

type DynaliteFactory = (options: Record<string, unknown>) => Server;

async function startEmbeddedDynalite(
  options: { dataDir?: string | undefined; port?: number } = {},
): Promise<EmbeddedDynalite> {
  // Required here, not at import: Lambda bundles import this module's siblings and have no
  // dynalite. dynalite is CommonJS and ships no types.
  const dynalite = createRequire(import.meta.url)('dynalite') as DynaliteFactory;
  const server = dynalite({
    ...(options.dataDir === undefined ? {} : { path: options.dataDir }),
    createTableMs: 0,
    deleteTableMs: 0,
    updateTableMs: 0,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => {
          if (error) reject(error);
          else resolve();
        });
      }),
  };
}

export type { EmbeddedDynalite };
export { startEmbeddedDynalite };
