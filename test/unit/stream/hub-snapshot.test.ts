/**
 * Joining a view: what a new stream opens with (metrics and the most active tickers' aggregates)
 * is sent once, never again with the first batch; a fresh stream's opening id is exactly where its
 * live batches start, and a resumed stream goes live with no gap, whatever the timing of its
 * connect against the poller (even while a batch is half fanned out across the views).
 */
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/contract/index.ts';
import { createMemoryFeed } from '../../support/memory-feed.ts';
import { configuration, engine, item, recordingSink, USER } from './hub-harness.ts';

/** The events after the opening (which ends with its heartbeat). */
const afterOpening = (events: StreamEvent[]) => events.slice(events.findIndex((e) => e.event === 'heartbeat') + 1);
const snapshotEvents = (events: StreamEvent[]) =>
  events.filter((e) => e.event === 'metrics' || e.event === 'sentiment_update');
/** Each metrics / sentiment_update payload as text (without `as_of`), to find one sent twice. */
const payloads = (events: StreamEvent[]) =>
  snapshotEvents(events).map((e) => {
    const { as_of: _asOf, ...rest } = e.data;
    return `${e.event} ${JSON.stringify(rest)}`;
  });

describe('the connect snapshot', () => {
  it('is not sent again by a batch that changes nothing, whether it came from the store or a batch', async () => {
    const { feed, hub, step } = await engine();
    feed.append(item('AAA'), item('BBB'));
    // The first stream of the view reads its snapshot from the store.
    const first = recordingSink();
    await hub.connect({ sink: first.sink, clientId: 'c', lastEventId: undefined });
    await step();
    // A later stream opens with the snapshot of that batch.
    const second = recordingSink();
    await hub.connect({ sink: second.sink, clientId: 'c', lastEventId: undefined });
    await step();
    for (const client of [first, second]) {
      expect(snapshotEvents(client.events()).length).toBeGreaterThan(0);
      expect(snapshotEvents(afterOpening(client.events()))).toEqual([]);
    }
  });

  it('is sent once to a configuration stream, though the view is new', async () => {
    const feed = createMemoryFeed();
    feed.setConfiguration(USER, configuration(['AAA']));
    const { hub, step } = await engine(feed);
    feed.append(item('AAA'), item('BBB'));
    const client = recordingSink('configurationStream');
    await hub.connect({
      sink: client.sink,
      clientId: USER,
      lastEventId: undefined,
      configuration: { userId: USER, value: configuration(['AAA']) },
    });
    await step();
    expect(snapshotEvents(afterOpening(client.events()))).toEqual([]);
  });

  it('reaches a stream opened while the store was down once, with no metrics or aggregate twice', async () => {
    const { feed, hub, step } = await engine();
    feed.fail('aggregates');
    const client = recordingSink();
    await hub.connect({ sink: client.sink, clientId: 'c', lastEventId: undefined });
    feed.heal('aggregates');
    const added = feed.append(item('AAA'), item('BBB', 'negative'));
    await step();
    const sent = payloads(client.events());
    expect(sent.filter((p) => p.startsWith('metrics'))).toHaveLength(1);
    expect(sent.filter((p) => p.startsWith('sentiment_update'))).toHaveLength(2);
    expect(new Set(sent).size).toBe(sent.length);
    expect(client.itemIds()).toEqual(added.map((a) => a.item_id));
    // The next batch sends only what changed.
    const more = feed.append(item('AAA'));
    await step();
    const later = afterOpening(client.events()).slice(sent.length + added.length);
    expect(later.map((e) => e.event)).toEqual(['new_item', 'sentiment_update', 'metrics']);
    expect(client.itemIds()).toEqual([...added, ...more].map((a) => a.item_id));
  });
});

describe('a fresh stream’s opening id', () => {
  it('is where its live batches start, when a batch goes out while its snapshot is read', async () => {
    const { feed, hub, step } = await engine();
    const client = recordingSink();
    // The view is new, so the connect reads its snapshot from the store; a batch goes out meanwhile.
    const snapshotRead = feed.pause('aggregates');
    const connecting = hub.connect({ sink: client.sink, clientId: 'c', lastEventId: undefined });
    await snapshotRead.reached;
    feed.append(item('AAA'));
    await step();
    snapshotRead.release();
    await connecting;
    const later = feed.append(item('BBB'));
    await step();
    // Resuming from the opening id brings exactly what the stream received live: no gap.
    const openingId = client.events()[0]?.id;
    const resumed = recordingSink();
    await hub.connect({ sink: resumed.sink, clientId: 'c', lastEventId: openingId });
    expect(resumed.itemIds()).toEqual(client.itemIds());
    expect(client.itemIds()).toEqual(later.map((a) => a.item_id));
  });
});

describe('a resumed stream', () => {
  it('goes live with no gap when its replay ends while a batch is half fanned out', async () => {
    const feed = createMemoryFeed();
    feed.setConfiguration(USER, configuration(['AAA']));
    const { hub, step } = await engine(feed);
    const global = recordingSink();
    await hub.connect({ sink: global.sink, clientId: 'g', lastEventId: undefined });
    // A second view, after the global one: a batch reaches the global view first.
    await hub.connect({
      sink: recordingSink('configurationStream').sink,
      clientId: USER,
      lastEventId: undefined,
      configuration: { userId: USER, value: configuration(['AAA']) },
    });
    feed.append(item('BBB'));
    await step();
    const from = global.lastId();
    // The replay has read (and is held before answering) when the next poll reads a new item.
    const replayRead = feed.pause('readAfter', (options) => options?.signal !== undefined, 'after');
    const resumed = recordingSink();
    const connecting = hub.connect({ sink: resumed.sink, clientId: 'r', lastEventId: from });
    await replayRead.reached;
    const [missed] = feed.append(item('BBB'));
    // The batch reaches the global view, then waits on the configuration view's refresh.
    const refresh = feed.pause('getConfiguration');
    const polling = step();
    await refresh.reached;
    replayRead.release();
    await connecting;
    refresh.release();
    await polling;
    const later = feed.append(item('CCC'));
    await step();
    expect(resumed.itemIds()).toEqual([missed, ...later].map((i) => i?.item_id));
    expect(global.itemIds().slice(-2)).toEqual(resumed.itemIds());
  });
});
