/**
 * What the fleet benchmark and its client worker processes say to each other over the IPC
 * channel (advanced serialization, so typed arrays pass as they are). Every request carries an
 * id its reply repeats. Times are on one clock shared by every process of the machine
 * (`sharedClockMs`), so a receive in a worker and a publish in the parent can be subtracted.
 */

/** What a worker is started with (its argv[2], as JSON). */
interface WorkerConfig {
  readonly host: string;
  readonly port: number;
  readonly path: string;
  readonly clients: number;
  readonly localAddresses: readonly string[];
  /** The worker exits by itself this long after it started, whatever the parent does. */
  readonly lifetimeMs: number;
}

type WorkerRequest =
  | {
      readonly id: number;
      readonly type: 'connect';
      readonly concurrency: number;
      readonly timeoutMs: number;
      readonly budgetMs: number;
    }
  | { readonly id: number; readonly type: 'expect'; readonly itemIds: readonly string[] }
  | { readonly id: number; readonly type: 'progress' }
  | { readonly id: number; readonly type: 'times'; readonly itemIds: readonly string[] }
  | { readonly id: number; readonly type: 'close' };

interface ConnectReply {
  readonly connected: number;
  readonly failed: number;
  readonly failures: Readonly<Record<string, number>>;
  /** Shared-clock ms of the first connect() and of the last client's first frame. */
  readonly startedAt: number;
  readonly lastReadyAt: number;
}

interface ProgressReply {
  /** Expected items received for the first time by a client, and again. */
  readonly unique: number;
  readonly duplicates: number;
  readonly live: number;
  readonly dropped: number;
  readonly unexpectedItems: number;
}

interface TimesReply {
  /** Per requested item, per client: shared-clock ms of its receipt, NaN where not received. */
  readonly times: readonly Float64Array[];
}

type WorkerReply =
  /** Sent once, unasked, when the worker is listening for requests. */
  | { readonly id: 0; readonly type: 'ready' }
  | ({ readonly id: number; readonly type: 'connect' } & ConnectReply)
  | { readonly id: number; readonly type: 'expect' }
  | ({ readonly id: number; readonly type: 'progress' } & ProgressReply)
  | ({ readonly id: number; readonly type: 'times' } & TimesReply)
  | { readonly id: number; readonly type: 'close' }
  | { readonly id: number; readonly type: 'error'; readonly message: string };

/**
 * CLOCK_MONOTONIC in ms: the same clock in every process of the machine, where each process's
 * performance.now() counts from its own start.
 */
function sharedClockMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

export type { ConnectReply, ProgressReply, TimesReply, WorkerConfig, WorkerReply, WorkerRequest };
export { sharedClockMs };
