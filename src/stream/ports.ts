/**
 * The engine's ports: what the stream engine needs from the outside, owned here so src/stream
 * depends on nothing but these interfaces and the contract's types. The store implements
 * FeedSource structurally, with the engine's own cursor (cursor.ts) (a `Store` can be passed wherever a FeedSource is expected); tests use
 * an in-memory feed (test/support/memory-feed.ts). The metrics port is implemented by the
 * Prometheus and EMF recorders in src/observability.
 */
import type { Configuration, Item, Metrics, TickerAggregate } from '../contract/index.ts';
import type {
  CursorEntry as FeedCursorEntry,
  CursorParse,
  Delivered as DeliveredItem,
  EventId,
  FeedCursor,
} from '../feed/cursor.ts';

/** An item with its feed position (arrival stamp), so each event can carry its own cursor. */
interface FeedEntry {
  readonly arrivalMs: number;
  readonly item: Item;
}

interface FeedRead {
  /** Oldest first. */
  readonly entries: readonly FeedEntry[];
  /** The cursor after every entry of this read. */
  readonly cursor: FeedCursor;
  /** When the read started (feed clock, epoch ms). */
  readonly readAt: number;
  /** The read stopped early: more may follow at once, so read again from `cursor`. */
  readonly full: boolean;
}

interface FeedReadOptions {
  /** Aborted when nobody waits for the answer any more (the client left): the read stops. */
  readonly signal?: AbortSignal | undefined;
  /**
   * The cursor after the read goes to a client as text (`?after=`), which lists at most so many
   * items: deliver only what it can list, the rest once it settles (store/feed.ts, `readFrom`).
   * A process's own readers keep their cursor in memory and leave it off.
   */
  readonly exactText?: boolean;
}

/** Counters over the metrics window: for a view, all tickers or a configuration's. */
interface Aggregates {
  readonly metrics: Metrics;
  /** Per ticker with at least one item in the window, sorted by ticker. */
  readonly tickers: readonly TickerAggregate[];
  /** The most active of `tickers`, sorted by ticker: what a snapshot sends. */
  readonly topTickers: readonly TickerAggregate[];
}

/** The id of each event of a read, item after item: the position right after the item. */
interface PositionIds {
  after(item: DeliveredItem): EventId;
}

/** The cursor as pure operations: event ids are encoded cursors; client ids are parsed back. */
interface CursorOps {
  /** Never throws: the text is client input. */
  parseCursor(text: string): CursorParse;
  encodeCursor(cursor: FeedCursor): EventId;
  /** The ids of the positions right after each item of a read from `from` started at `readAt`. */
  positionIds(from: FeedCursor, readAt: number): PositionIds;
}

/** Where the engine reads the feed, the counters and the configurations being streamed. */
interface FeedSource extends CursorOps {
  /** Entries after `cursor`, oldest first, at most `limit`; `full` says to read again. */
  readAfter(cursor: FeedCursor, limit: number, options?: FeedReadOptions): Promise<FeedRead>;
  /** The cursor at the feed's head: a fresh poller starts there. */
  headCursor(options?: FeedReadOptions): Promise<FeedCursor>;
  /**
   * All tickers, or only `tickers` (a configuration's view). May trail the feed by a short cache,
   * at most AGGREGATES_LAG_MS (constants.ts): a poll woken by an ingest can see an item before
   * the counters that include it.
   */
  aggregates(tickers?: ReadonlySet<string>): Promise<Aggregates>;
  /** The configuration as stored now, or null once it was deleted. */
  getConfiguration(userId: string, configId: string): Promise<Configuration | null>;
}

type StreamKind = 'global' | 'configuration';
type CloseReason =
  | 'client_closed'
  | 'shutdown'
  | 'slow_consumer'
  | 'stalled'
  | 'store_unavailable'
  | 'configuration_deleted'
  | 'deadline'
  | 'error';
type RejectReason = 'capacity';
/** Why a host ends every stream at once: it is stopping (SIGTERM), or its invocation's deadline is near (Lambda). */
type HostCloseReason = Extract<CloseReason, 'shutdown' | 'deadline'>;

/** The engine's counters and gauges; called per connection, batch or poll, never per event. */
interface StreamMetrics {
  connectionOpened(stream: StreamKind): void;
  connectionClosed(stream: StreamKind, reason: CloseReason): void;
  /** `count` events written (one batch to many subscribers is one call). */
  eventsSent(count: number): void;
  rejected(reason: RejectReason): void;
  /** Item stamp → written to the clients of one view, in ms. */
  deliveryLag(ms: number): void;
  pollCompleted(durationMs: number): void;
  pollFailed(): void;
  /** Store requests made by the shared poller (whatever their outcome). */
  storeRequest(): void;
  /** Milliseconds since the last successful poll. */
  feedLag(ms: number): void;
}

/**
 * Who is connected, for logs: the user id, or the client's address on the public stream. A
 * function when finding it costs a system call (a socket's peer address): it is called the first
 * time a line that is written names the client, so a server logging at `warn` seldom makes it.
 */
type ClientId = string | (() => string);

/** Structured log fields; an `error` field carries the Error itself. */
type LogFields = Record<string, unknown>;

/** The log calls the engine makes. */
interface EngineLogger {
  /** False when `info` lines are dropped: the engine then does not build its per-stream lines. */
  readonly infoEnabled: boolean;
  info(message: string, ...fields: LogFields[]): void;
  warn(message: string, ...fields: LogFields[]): void;
  error(message: string, ...fields: LogFields[]): void;
}

export type {
  Aggregates,
  ClientId,
  CloseReason,
  CursorOps,
  CursorParse,
  DeliveredItem,
  EngineLogger,
  EventId,
  FeedCursor,
  FeedCursorEntry,
  FeedEntry,
  FeedRead,
  FeedReadOptions,
  FeedSource,
  HostCloseReason,
  LogFields,
  PositionIds,
  RejectReason,
  StreamKind,
  StreamMetrics,
};
