import type { Item } from '../../../src/contract/index.ts';
import { encodeCursor, itemHash } from '../../../src/feed/cursor.ts';
import { Frames } from '../../../src/stream/frames.ts';
import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { engineLogger } from '../../../src/observability/engine-logger.ts';
import { createLogger } from '../../../src/observability/logger.ts';
import type { CloseReason, StreamMetrics } from '../../../src/observability/stream-metrics.ts';
import type { SseSink } from '../../../src/stream/sink.ts';
import { Subscriber } from '../../../src/stream/subscriber.ts';
import { capturingLogger } from '../../support/capturing-logger.ts';

/** A real Writable that takes `capacity` bytes and then stops reading until `release()`. */
function stalledSink(capacity: number) {
  const written: string[] = [];
  const pending: (() => void)[] = [];
  let destroyed = false;
  let ended = false;
  const writable = new Writable({
    highWaterMark: capacity,
    write(chunk: Buffer, _encoding, callback) {
      written.push(chunk.toString());
      // Holding the callback is how a client that stopped reading looks from the server.
      pending.push(() => {
        callback();
      });
    },
  });
  const sink: SseSink = {
    write: (chunk) => writable.write(chunk),
    end: () => {
      ended = true;
    },
    destroy: () => {
      destroyed = true;
      writable.destroy();
    },
    onDrain: (listener) => writable.on('drain', listener),
    onClose: () => undefined,
  };
  return {
    sink,
    written,
    /** The client reads everything again: every held write completes, including ones it unblocks. */
    release: () => {
      while (pending.length > 0) pending.shift()?.();
    },
    isDestroyed: () => destroyed,
    isEnded: () => ended,
  };
}

function recordingMetrics() {
  const closed: CloseReason[] = [];
  const metrics: StreamMetrics = {
    connectionOpened: () => undefined,
    connectionClosed: (_stream, reason) => closed.push(reason),
    eventsSent: () => undefined,
    rejected: () => undefined,
    deliveryLag: () => undefined,
    pollCompleted: () => undefined,
    pollFailed: () => undefined,
    storeRequest: () => undefined,
    feedLag: () => undefined,
  };
  return { metrics, closed };
}

const STALL_MS = 90_000;

const subscriberOn = (sink: SseSink, metrics: StreamMetrics, maxQueuedBytes = 1000) =>
  new Subscriber(sink, {
    clientId: 'test',
    stream: 'global',
    maxQueuedBytes,
    stallTimeoutMs: STALL_MS,
    metrics,
    logger: engineLogger(createLogger('silent')),
    onClosed: () => undefined,
  });

describe('Subscriber backpressure', () => {
  it('queues behind a full socket and writes the queue in order on drain', () => {
    const s = stalledSink(10);
    const { metrics } = recordingMetrics();
    const subscriber = subscriberOn(s.sink, metrics);

    subscriber.send(Frames.event('a'.repeat(20))); // fills the socket's buffer
    subscriber.send(Frames.event('second'));
    subscriber.send(Frames.event('third'));
    expect(subscriber.isBlocked).toBe(true);
    expect(s.written).toEqual(['a'.repeat(20)]);

    s.release();

    expect(s.written).toEqual(['a'.repeat(20), 'second', 'third']);
  });

  it('keeps only the newest metrics frame while blocked, after the queued items', () => {
    const s = stalledSink(10);
    const { metrics } = recordingMetrics();
    const subscriber = subscriberOn(s.sink, metrics);
    subscriber.send(Frames.event('x'.repeat(20)));

    subscriber.sendMetrics(Frames.event('metrics-1'));
    subscriber.send(Frames.event('item'));
    subscriber.sendMetrics(Frames.event('metrics-2'));
    s.release();

    expect(s.written.slice(1)).toEqual(['item', 'metrics-2']);
  });

  it('disconnects a client whose queue outgrows the limit, instead of growing memory', () => {
    const s = stalledSink(10);
    const { metrics, closed } = recordingMetrics();
    const subscriber = subscriberOn(s.sink, metrics, 1000);
    subscriber.send(Frames.event('x'.repeat(20)));

    for (let i = 0; i < 100; i++) subscriber.send(Frames.event('y'.repeat(50)));

    expect(subscriber.state).toBe('closed');
    expect(s.isDestroyed()).toBe(true);
    expect(closed).toEqual(['slow_consumer']);
  });

  it('writes a final frame and ends politely when it can, never after closing', () => {
    const s = stalledSink(1000);
    const { metrics, closed } = recordingMetrics();
    const subscriber = subscriberOn(s.sink, metrics);
    subscriber.goLive();

    subscriber.close('shutdown', Frames.event('event: reconnect\n\n'));
    subscriber.send(Frames.event('late'));

    expect(s.written).toEqual(['event: reconnect\n\n']);
    expect(s.isEnded()).toBe(true);
    expect(closed).toEqual(['shutdown']);
  });
});

describe('Subscriber state', () => {
  const replayed = {
    itemIds: new Set(['a']),
    cursor: { watermark: 0, entries: [] },
    maxArrivalMs: 5,
    lastId: encodeCursor({ watermark: 5, entries: [] }),
  };

  it('moves forward only through its own methods: opening, replaying, live, closed', () => {
    const subscriber = subscriberOn(stalledSink(1000).sink, recordingMetrics().metrics);
    expect(subscriber.state).toBe('opening');
    // Finishing a replay that never started changes nothing.
    subscriber.finishReplay(replayed);
    expect(subscriber.state).toBe('opening');
    subscriber.startReplay();
    expect(subscriber.state).toBe('replaying');
    // Replaying, it stands nowhere a heartbeat or a hint could name.
    expect(subscriber.resumeId(replayed.lastId)).toBeUndefined();
    // A replaying stream goes live only when its replay finishes, with what it sent.
    subscriber.goLive();
    expect(subscriber.state).toBe('replaying');
    subscriber.finishReplay(replayed);
    expect(subscriber.state).toBe('live');
    // Live, but ahead of its view until a live batch passes what the replay sent.
    expect(subscriber.isLive()).toBe(true);
    expect(subscriber.resumeId(encodeCursor({ watermark: 1, entries: [] }))).toBe(replayed.lastId);
    subscriber.startReplay();
    expect(subscriber.state).toBe('live');
    subscriber.close('shutdown');
    subscriber.goLive();
    expect(subscriber.state).toBe('closed');
  });

  it('after a replay, skips in live batches what it already has, until a batch passes the replay', () => {
    const subscriber = subscriberOn(stalledSink(1000).sink, recordingMetrics().metrics);
    subscriber.startReplay();
    // The replay sent `a`; the client's cursor covered everything up to 3 and `c` at 4.
    const cursor = { watermark: 3, entries: [{ arrivalMs: 4, hash: itemHash('c') }] };
    const replayEnd = encodeCursor({ watermark: 6, entries: [] });
    subscriber.finishReplay({ itemIds: new Set(['a']), cursor, maxArrivalMs: 6, lastId: replayEnd });
    // Ahead of its view: heartbeats and hints carry where the client stands, not the view's id.
    const viewId = encodeCursor({ watermark: 2, entries: [] });
    expect(subscriber.resumeId(viewId)).toBe(replayEnd);
    const batch = ['a', 'b', 'c', 'd'].map((id, index) => ({
      item: { item_id: id } as Item,
      arrivalMs: index + 2,
      cursor: encodeCursor({ watermark: index + 2, entries: [] }),
    }));
    // a: replayed; b (at 3): covered by the watermark; c: listed in the cursor; d: new.
    expect(subscriber.unseen(batch).map((entry) => entry.item.item_id)).toEqual(['d']);
    const liveAt5 = encodeCursor({ watermark: 5, entries: [] });
    subscriber.liveFrom(5, liveAt5);
    expect(subscriber.resumeId(viewId)).toBe(liveAt5);
    // Caught up: where the view stands.
    subscriber.liveFrom(6, encodeCursor({ watermark: 6, entries: [] }));
    expect(subscriber.resumeId(viewId)).toBe(viewId);
    // Caught up, it takes whole batches as they are: the same array, nothing filtered.
    expect(subscriber.unseen(batch)).toBe(batch);
  });

  it('goes live from opening without a replay, and closes from any state', () => {
    const fresh = subscriberOn(stalledSink(1000).sink, recordingMetrics().metrics);
    fresh.goLive();
    expect(fresh.state).toBe('live');
    const viewId = encodeCursor({ watermark: 1, entries: [] });
    expect(fresh.resumeId(viewId)).toBe(viewId);
    const opening = subscriberOn(stalledSink(1000).sink, recordingMetrics().metrics);
    opening.close('client_closed');
    expect(opening.state).toBe('closed');
    expect(opening.isClosed()).toBe(true);
  });

  it('cannot be set from outside', () => {
    const subscriber = subscriberOn(stalledSink(1000).sink, recordingMetrics().metrics);
    expect(() => {
      // @ts-expect-error: the state is read-only; transitions go through the subscriber's methods.
      subscriber.state = 'closed';
    }).toThrow(TypeError);
    expect(subscriber.state).toBe('opening');
  });
});

describe('Subscriber stall timeout', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('drops a stream whose socket takes nothing for the stall timeout, though its queue is small', () => {
    vi.useFakeTimers();
    const s = stalledSink(10);
    const { metrics, closed } = recordingMetrics();
    const subscriber = subscriberOn(s.sink, metrics);
    subscriber.send(Frames.event('x'.repeat(20))); // the peer stopped reading: blocked from here on
    subscriber.send(Frames.event('heartbeat'));

    vi.advanceTimersByTime(STALL_MS - 1);
    expect(subscriber.state).not.toBe('closed');
    vi.advanceTimersByTime(1);

    expect(subscriber.state).toBe('closed');
    expect(s.isDestroyed()).toBe(true);
    expect(closed).toEqual(['stalled']);
  });

  it('keeps a stream whose socket drains in time, and arms no timer while it is not blocked', () => {
    vi.useFakeTimers();
    const s = stalledSink(10);
    const { metrics, closed } = recordingMetrics();
    const subscriber = subscriberOn(s.sink, metrics);
    subscriber.send(Frames.event('x'.repeat(20)));
    vi.advanceTimersByTime(STALL_MS - 1);
    s.release();
    expect(subscriber.isBlocked).toBe(false);
    expect(vi.getTimerCount()).toBe(0);

    vi.advanceTimersByTime(10 * STALL_MS);

    expect(subscriber.state).not.toBe('closed');
    expect(closed).toEqual([]);
  });
});

describe('Subscriber.closed', () => {
  it('resolves with the reason for a caller that waited before the stream ended', async () => {
    const { metrics } = recordingMetrics();
    const subscriber = subscriberOn(stalledSink(1000).sink, metrics);
    const closed = subscriber.closed;
    subscriber.close('shutdown');
    await expect(closed).resolves.toBe('shutdown');
  });

  it('resolves with the first reason for a caller that asks after the stream ended', async () => {
    const { metrics } = recordingMetrics();
    const subscriber = subscriberOn(stalledSink(1000).sink, metrics);
    subscriber.close('client_closed');
    subscriber.close('shutdown');
    await expect(subscriber.closed).resolves.toBe('client_closed');
    expect(subscriber.closed).toBe(subscriber.closed);
  });
});

describe('Subscriber log lines', () => {
  const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

  /** A subscriber whose client id is a function that counts its calls (as a peer-address lookup would). */
  function loggedSubscriber(level: 'INFO' | 'WARN') {
    const logger = capturingLogger(level);
    const s = stalledSink(10);
    /** How often the client was looked up, and whether its socket was already destroyed then. */
    const lookups = { count: 0, afterDestroy: false };
    const subscriber = new Subscriber(s.sink, {
      clientId: () => {
        lookups.count += 1;
        lookups.afterDestroy ||= s.isDestroyed();
        return 'ip:127.0.0.9';
      },
      stream: 'global',
      maxQueuedBytes: 1000,
      stallTimeoutMs: STALL_MS,
      metrics: recordingMetrics().metrics,
      logger: engineLogger(logger),
      onClosed: () => undefined,
    });
    return { subscriber, logger, lookups, sink: s };
  }

  it('ties the open and close lines together with one connection id, and looks the client up once', () => {
    const { subscriber, logger, lookups } = loggedSubscriber('INFO');
    subscriber.close('client_closed');
    const [opened, closed] = logger.lines;
    expect(opened).toMatchObject({ message: 'stream opened', client_id: 'ip:127.0.0.9', stream: 'global' });
    expect(closed).toMatchObject({
      message: 'stream closed',
      client_id: 'ip:127.0.0.9',
      close_reason: 'client_closed',
    });
    expect(opened?.['connection_id']).toMatch(UUID);
    expect(closed?.['connection_id']).toBe(opened?.['connection_id']);
    expect(lookups.count).toBe(1);
  });

  it('never looks the client up when no line about it is written', () => {
    const { subscriber, logger, lookups } = loggedSubscriber('WARN');
    subscriber.send(Frames.event('x'.repeat(5)));
    subscriber.close('client_closed');
    expect(logger.lines).toEqual([]);
    expect(lookups.count).toBe(0);
  });

  it('names the client of a dropped stream, looked up before its socket is destroyed', () => {
    const { subscriber, logger, lookups, sink } = loggedSubscriber('WARN');
    subscriber.send(Frames.event('x'.repeat(20)));
    subscriber.close('slow_consumer');
    expect(logger.lines).toHaveLength(1);
    expect(logger.lines[0]).toMatchObject({
      level: 'WARN',
      message: 'stream closed',
      client_id: 'ip:127.0.0.9',
      close_reason: 'slow_consumer',
    });
    expect(logger.lines[0]?.['connection_id']).toMatch(UUID);
    expect(lookups.count).toBe(1);
    expect(sink.isDestroyed()).toBe(true);
    expect(lookups.afterDestroy).toBe(false);
  });
});
