/**
 * How a long-running command stops on SIGTERM or SIGINT: once, whatever the number of signals,
 * with exit code 0 when everything closed and 1 when closing failed or overran its deadline (a
 * stuck shutdown must not keep the process alive).
 */
import type { Logger } from '../observability/logger.ts';

interface ShutdownOptions {
  readonly logger: Logger;
  /** Exit 1 when `close` has not finished by then. */
  readonly deadlineMs: number;
  /** Ends what the command runs: streams first (their reconnect hint), then the server and the store. */
  readonly close: () => Promise<void>;
}

function exitOnSignals({ logger, deadlineMs, close }: ShutdownOptions): void {
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info('stopping', { signal });
    const deadline = setTimeout(() => {
      logger.error('shutdown did not finish in time; exiting');
      process.exit(1);
    }, deadlineMs);
    deadline.unref();
    close().then(
      () => {
        logger.info('stopped');
        process.exit(0);
      },
      (error: unknown) => {
        logger.error('shutdown failed', { error });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => {
    stop('SIGINT');
  });
  process.on('SIGTERM', () => {
    stop('SIGTERM');
  });
}

export type { ShutdownOptions };
export { exitOnSignals };
