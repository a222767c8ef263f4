/**
 * One open stream: writes chunks to its sink, honouring backpressure with a bounded queue.
 *
 * - When `write()` returns false, later chunks wait in a queue until `drain`.
 * - `metrics` frames coalesce while waiting: only the newest is kept.
 * - Items are never dropped. A queue past its byte limit disconnects the client (logged and
 *   counted); it reconnects with its last event id and the cursor fills the gap.
 * - A sink that stays blocked for `stallTimeoutMs` is dropped too: a peer that stopped reading,
 *   or vanished without closing, would otherwise hold its slot until the queue filled, which on a
 *   quiet stream (heartbeats only) could take days.
 */
import { randomUUID } from 'node:crypto';
import { coverage, type Delivered } from '../feed/cursor.ts';
import type { BatchItem } from './feed-poller.ts';
import type { BatchFrames, Frames } from './frames.ts';
import type { EventId } from '../feed/cursor.ts';
import type { ClientId, CloseReason, EngineLogger, FeedCursor, LogFields, StreamKind, StreamMetrics } from './ports.ts';
import type { SseSink } from './sink.ts';

interface SubscriberOptions {
  readonly clientId: ClientId;
  readonly stream: StreamKind;
  readonly configId?: string | undefined;
  readonly maxQueuedBytes: number;
  /** A sink that stays blocked (takes no bytes) this long is dropped: its peer is gone or stuck. */
  readonly stallTimeoutMs: number;
  readonly metrics: StreamMetrics;
  readonly logger: EngineLogger;
  readonly onClosed: (subscriber: Subscriber) => void;
}

/**
 * What a resumed subscriber already has, so live batches skip it: the items its replay sent, and
 * everything its own cursor covered (delivered by another process, which this one's poller may
 * not have passed yet).
 */
interface ReplayRecord {
  readonly itemIds: Set<string>;
  /** Where the replay ended: covers the client's cursor and every replayed item. */
  readonly cursor: FeedCursor;
  /** Once a live cursor's watermark passes this, no item it already has can come again. */
  readonly maxArrivalMs: number;
  /** The id of the last event sent to the stream: its resume point while it is ahead of its view. */
  readonly lastId: EventId;
}

/**
 * Where a stream is: `opening` until its opening frames are out, `replaying` while it catches up
 * from a cursor (live batches are not for it yet in either), then `live`, then `closed`.
 */
type SubscriberState = 'opening' | 'replaying' | 'live' | 'closed';

class Subscriber {
  readonly stream: StreamKind;
  readonly configId: string | undefined;
  /**
   * Moves only forward, and only through this class's methods: `startReplay`, `finishReplay` or
   * `goLive`, and `close` (from any state).
   */
  private current: SubscriberState = 'opening';
  /** Set by `finishReplay`; cleared by `liveFrom` once no replayed item can come again. */
  private replay: ReplayRecord | undefined;
  /** What the replay's cursor covers, looked up once: it may list a whole settle window. */
  private replayCovers: ((item: Delivered) => boolean) | undefined;
  /** Opened while the store was down: the next batch brings it the snapshot it missed. */
  private missedSnapshot = false;
  private readonly sink: SseSink;
  private readonly options: SubscriberOptions;
  private readonly openedAt = performance.now();
  private eventsSent = 0;
  private blocked = false;
  // Both made on first use: most streams never block, and a connect storm makes thousands of them.
  private queue: Frames[] | undefined;
  private queuedBytes = 0;
  private pendingMetrics: Frames | undefined;
  private drainWaiters: (() => void)[] | undefined;
  /** Armed only while blocked, so an idle stream costs no timer. */
  private stallTimer: NodeJS.Timeout | undefined;
  private closedWith: ((reason: CloseReason) => void) | undefined;
  private closeReason: CloseReason | undefined;
  private closedPromise: Promise<CloseReason> | undefined;
  /** Made on first use (a replay), so a live-only stream carries none. */
  private abortOnClose: AbortController | undefined;
  /** Both found on first use: only log lines need them, and a server may log only warnings. */
  private id: string | undefined;
  private client: ClientId;

  constructor(sink: SseSink, options: SubscriberOptions) {
    this.sink = sink;
    this.options = options;
    this.client = options.clientId;
    this.stream = options.stream;
    this.configId = options.configId;
    sink.onDrain(() => {
      this.flush();
    });
    sink.onClose(() => {
      this.close('client_closed');
    });
    options.metrics.connectionOpened(options.stream);
    if (options.logger.infoEnabled) options.logger.info('stream opened', this.logFields());
  }

  /**
   * Resolves with the reason once the stream has ended, whoever ended it. Made on first use (a
   * Lambda invocation waits on it; a server's streams never do), already settled if it has ended.
   */
  get closed(): Promise<CloseReason> {
    this.closedPromise ??=
      this.closeReason === undefined
        ? new Promise((resolve) => {
            this.closedWith = resolve;
          })
        : Promise.resolve(this.closeReason);
    return this.closedPromise;
  }

  /** Ties this stream's log lines together. */
  get connectionId(): string {
    this.id ??= randomUUID();
    return this.id;
  }

  /** Who is connected (see ClientId); found once, then kept. */
  get clientId(): string {
    if (typeof this.client === 'function') this.client = this.client();
    return this.client;
  }

  get state(): SubscriberState {
    return this.current;
  }

  /** Aborted when the stream ends: store reads made for it (a replay) stop there. */
  get signal(): AbortSignal {
    this.abortOnClose ??= new AbortController();
    if (this.current === 'closed') this.abortOnClose.abort();
    return this.abortOnClose.signal;
  }

  /** A method, not `state === 'closed'`, so a check after an await is not narrowed away. */
  isClosed(): boolean {
    return this.current === 'closed';
  }

  get isBlocked(): boolean {
    return this.blocked;
  }

  /** Takes live batches (whether or not some of a batch's items came with its replay). */
  isLive(): boolean {
    return this.current === 'live';
  }

  /**
   * The id a heartbeat or a reconnect hint to this stream carries, so that resuming from it loses
   * and repeats nothing: the view's once caught up; right after a replay (whose items may still
   * come in live batches) the id of the last event it was sent, which is where the client already
   * stands; none while it opens or replays.
   */
  resumeId(viewCursor: EventId): EventId | undefined {
    if (this.current !== 'live') return undefined;
    return this.replay?.lastId ?? viewCursor;
  }

  /**
   * The batch items this stream has not had: all of them, but right after a replay, which may
   * have sent some already, or whose cursor covered some (another process delivered them before
   * this one's poller reached them).
   */
  unseen(items: readonly BatchItem[]): readonly BatchItem[] {
    const replay = this.replay;
    if (replay === undefined) return items;
    const covered = (this.replayCovers ??= coverage(replay.cursor));
    return items.filter(
      (entry) =>
        !replay.itemIds.has(entry.item.item_id) && !covered({ arrivalMs: entry.arrivalMs, itemId: entry.item.item_id }),
    );
  }

  /** Opening → live: a fresh stream takes every batch from now on. */
  goLive(): void {
    if (this.current === 'opening') this.current = 'live';
  }

  /** Opening → replaying: the stream catches up from its cursor before it takes live batches. */
  startReplay(): void {
    if (this.current === 'opening') this.current = 'replaying';
  }

  /** Replaying → live, with what the replay sent: live batches skip those items (`unseen`). */
  finishReplay(replay: ReplayRecord): void {
    if (this.current !== 'replaying') return;
    this.current = 'live';
    this.replay = replay;
  }

  /**
   * A live batch up to `watermark`, with id `id`, went out: once it passes every replayed item,
   * none can repeat; until then the batch's id is where the client stands.
   */
  liveFrom(watermark: number, id: EventId): void {
    if (this.replay === undefined) return;
    this.replay = watermark >= this.replay.maxArrivalMs ? undefined : { ...this.replay, lastId: id };
    if (this.replay === undefined) this.replayCovers = undefined;
  }

  /** The opening went out without a snapshot (the store did not answer). */
  snapshotMissed(): void {
    this.missedSnapshot = true;
  }

  /** True once, for a stream that opened without a snapshot: the caller sends it now. */
  takeMissedSnapshot(): boolean {
    const missed = this.missedSnapshot;
    this.missedSnapshot = false;
    return missed;
  }

  /** Writes `frames`, or queues them behind earlier ones. */
  send(frames: Frames): void {
    if (this.current === 'closed' || frames.isEmpty) return;
    if (!this.blocked) {
      this.write(frames);
      return;
    }
    (this.queue ??= []).push(frames);
    this.queuedBytes += frames.text.length;
    if (this.queuedBytes > this.options.maxQueuedBytes) this.close('slow_consumer');
  }

  /** One batch: all of it in a single write when the socket is free; when blocked, the body queues and the metrics coalesce. */
  sendBatch(batch: BatchFrames): void {
    if (this.current === 'closed') return;
    if (!this.blocked) {
      if (!batch.all.isEmpty) this.write(batch.all);
      return;
    }
    this.send(batch.body);
    if (batch.metrics !== undefined) this.pendingMetrics = batch.metrics;
  }

  /** A metrics frame: while blocked, only the newest waits. */
  sendMetrics(frame: Frames): void {
    if (this.current === 'closed') return;
    if (this.blocked) this.pendingMetrics = frame;
    else this.write(frame);
  }

  /** Resolves when the sink can take more (replay pages wait on this). */
  async writable(): Promise<void> {
    if (!this.blocked || this.current === 'closed') return;
    await new Promise<void>((resolve) => (this.drainWaiters ??= []).push(resolve));
  }

  /**
   * Ends the stream. `finalFrame` (a reconnect hint or stream_closed) is written first when the
   * connection can still take it; a slow consumer is cut off at once.
   */
  close(reason: CloseReason, finalFrame?: Frames): void {
    if (this.current === 'closed') return;
    this.current = 'closed';
    this.closeReason = reason;
    clearTimeout(this.stallTimer);
    const dropped = reason === 'slow_consumer' || reason === 'stalled';
    const lastWords = !dropped && reason !== 'client_closed' && finalFrame !== undefined && !this.blocked;
    if (lastWords) this.eventsSent += finalFrame.events;
    this.options.metrics.connectionClosed(this.stream, reason);
    // Logged before the socket is dropped: its peer address can no longer be read after.
    if (dropped || this.options.logger.infoEnabled) this.logClose(dropped ? 'warn' : 'info', reason);
    if (dropped) {
      this.sink.destroy();
    } else if (reason !== 'client_closed') {
      if (lastWords) this.sink.write(finalFrame.text);
      this.sink.end();
    }
    this.queue = undefined;
    this.queuedBytes = 0;
    this.releaseDrainWaiters();
    this.options.onClosed(this);
    this.abortOnClose?.abort();
    this.closedWith?.(reason);
  }

  /** Writes to the sink; false (and blocked) when the sink wants us to wait for `drain`. */
  private write(frames: Frames): boolean {
    this.eventsSent += frames.events;
    const accepted = this.sink.write(frames.text);
    this.blocked = !accepted;
    if (!accepted) this.armStallTimer();
    return accepted;
  }

  private armStallTimer(): void {
    if (this.stallTimer !== undefined) return;
    this.stallTimer = setTimeout(() => {
      this.close('stalled');
    }, this.options.stallTimeoutMs);
    this.stallTimer.unref();
  }

  private flush(): void {
    let open = true;
    while (open && this.queue !== undefined && this.queue.length > 0) {
      const next = this.queue.shift();
      if (next === undefined) break;
      this.queuedBytes -= next.text.length;
      open = this.write(next);
    }
    if (open && this.pendingMetrics !== undefined) {
      const frame = this.pendingMetrics;
      this.pendingMetrics = undefined;
      open = this.write(frame);
    }
    this.blocked = !open;
    if (open) {
      clearTimeout(this.stallTimer);
      this.stallTimer = undefined;
      this.releaseDrainWaiters();
    }
  }

  private releaseDrainWaiters(): void {
    const waiters = this.drainWaiters;
    this.drainWaiters = undefined;
    for (const resolve of waiters ?? []) resolve();
  }

  private logClose(level: 'info' | 'warn', reason: CloseReason): void {
    this.options.logger[level]('stream closed', {
      ...this.logFields(),
      duration_ms: Math.round(performance.now() - this.openedAt),
      events_sent: this.eventsSent,
      close_reason: reason,
    });
  }

  /** The fields of every line about this stream. */
  private logFields(): LogFields {
    return {
      connection_id: this.connectionId,
      client_id: this.clientId,
      stream: this.stream,
      ...(this.configId === undefined ? {} : { config_id: this.configId }),
    };
  }
}

export type { ReplayRecord, SubscriberOptions, SubscriberState };
export { Subscriber };
