/**
 * Event ids, on the hub harness (real poller and hub over the in-memory feed). Every event a
 * stream carries has an id of its own, and every id is a cursor: a client that resumes from any
 * of them (an item in the middle of a batch, a ticker update, metrics, a heartbeat, the opening)
 * gets exactly the items that came after it, on this process or another. And no stream opens
 * before the feed's head is known: its id would not be a cursor.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { StreamEvent } from '../../../src/contract/index.ts';
import { StreamNotReadyError } from '../../../src/stream/hub.ts';
import { createMemoryFeed } from '../../support/memory-feed.ts';
import { engine, item, recordingSink } from './hub-harness.ts';

/** The harness's heartbeat interval. */
const HEARTBEAT_MS = 60_000;

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
});
afterEach(() => {
  vi.useRealTimers();
});

const itemsAfter = (events: readonly StreamEvent[], index: number): string[] =>
  events.slice(index + 1).flatMap((e) => (e.event === 'new_item' ? [e.data.item_id] : []));

/** A global stream through several batches of items on three tickers, with a heartbeat after each. */
async function recordedStream() {
  const feed = createMemoryFeed();
  const running = await engine(feed);
  feed.append(item('AAA'), item('BBB'));
  await running.step();
  const client = recordingSink();
  await running.hub.connect({ sink: client.sink, clientId: 'c', lastEventId: undefined });
  for (let batch = 0; batch < 4; batch++) {
    feed.append(item('AAA'), item('CCC', 'negative'), item('BBB', 'neutral'));
    await running.step();
    vi.advanceTimersByTime(HEARTBEAT_MS);
  }
  return { feed, running, client, events: client.events() };
}

describe('event ids', () => {
  it('are all distinct: items, ticker updates, metrics, heartbeats and the opening', async () => {
    const { events } = await recordedStream();
    const names = new Set(events.map((e) => e.event));
    for (const name of ['stream_open', 'new_item', 'sentiment_update', 'metrics', 'heartbeat'] as const) {
      expect(names).toContain(name);
    }
    const ids = events.map((e) => e.id);
    expect(ids.length).toBeGreaterThan(30);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('each resume exactly after their event, on this process and on another', async () => {
    const { feed, running, events } = await recordedStream();
    const other = await engine(feed);
    await other.step();
    for (const [index, event] of events.entries()) {
      for (const host of [running, other]) {
        const resumed = recordingSink();
        await host.hub.connect({ sink: resumed.sink, clientId: 'c', lastEventId: event.id });
        expect(resumed.itemIds(), `resuming from the ${event.event} at ${String(index)}`).toEqual(
          itemsAfter(events, index),
        );
      }
    }
  });

  it('of a resumed stream are distinct from those it had, and resume as well', async () => {
    const { feed, running, events } = await recordedStream();
    const middle = events.findIndex((e, i) => i > 10 && e.event === 'sentiment_update');
    const resumed = recordingSink();
    await running.hub.connect({ sink: resumed.sink, clientId: 'c', lastEventId: events[middle]?.id });
    feed.append(item('DDD'));
    await running.step();
    vi.advanceTimersByTime(HEARTBEAT_MS);
    const seen = [...events.slice(0, middle + 1), ...resumed.events()].map((e) => e.id);
    expect(new Set(seen).size).toBe(seen.length);
    const again = recordingSink();
    await running.hub.connect({ sink: again.sink, clientId: 'c', lastEventId: resumed.lastId() });
    expect(again.itemIds()).toEqual([]);
  });
});

describe('a hub whose poller could not read the feed head', () => {
  it('refuses streams, then opens them with cursor ids once a poll has read it', async () => {
    const feed = createMemoryFeed();
    feed.fail('headCursor');
    const { hub, step } = await engine(feed);
    expect(hub.isReady()).toBe(false);
    const early = recordingSink();
    await expect(hub.connect({ sink: early.sink, clientId: 'c', lastEventId: undefined })).rejects.toBeInstanceOf(
      StreamNotReadyError,
    );
    expect(early.writes).toEqual([]);
    expect(hub.size).toBe(0);
    await step();
    expect(hub.isReady()).toBe(false);

    feed.heal('headCursor');
    await step();
    expect(hub.isReady()).toBe(true);
    const client = recordingSink();
    await hub.connect({ sink: client.sink, clientId: 'c', lastEventId: undefined });
    // Checked against the contract as they are read: an empty id would throw here.
    const [open] = client.events();
    expect(open?.event).toBe('stream_open');
    expect(open?.id).toMatch(/^2\./);
  });
});
