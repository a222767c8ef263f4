/**
 * The hub on its own: the real poller and hub over the in-memory feed (test/support/memory-feed.ts),
 * no database and no sockets. Sinks record each write; every event read back is parsed the way a
 * browser parses SSE and checked against the AsyncAPI contract of its channel.
 */
import { describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/contract/index.ts';
import { decodeCursor } from '../../../src/feed/cursor.ts';
import { createMemoryFeed } from '../../support/memory-feed.ts';
import { configuration, engine, item, recordingSink, USER } from './hub-harness.ts';

/** The engine with two streams open: the global one, and a configuration of `tickers`. */
async function globalAndConfigured(tickers: string[]) {
  const feed = createMemoryFeed();
  feed.setConfiguration(USER, configuration(tickers));
  const running = await engine(feed);
  const global = recordingSink();
  const configured = recordingSink('configurationStream');
  await running.hub.connect({ sink: global.sink, clientId: 'g', lastEventId: undefined });
  await running.hub.connect({
    sink: configured.sink,
    clientId: USER,
    lastEventId: undefined,
    configuration: { userId: USER, value: configuration(tickers) },
  });
  return { ...running, global, configured };
}

describe('hub fan-out', () => {
  it('writes one batch to every subscriber of a view in a single, identical write', async () => {
    const { feed, hub, step } = await engine();
    const clients = [recordingSink(), recordingSink(), recordingSink()];
    for (const client of clients) await hub.connect({ sink: client.sink, clientId: 'c', lastEventId: undefined });
    const before = clients.map((c) => c.writes.length);
    const added = feed.append(item('AAA'), item('BBB'), item('AAA', 'negative'));
    await step();
    const batchWrites = clients.map((c, i) => c.writes.slice(before[i]));
    for (const writes of batchWrites) expect(writes).toHaveLength(1);
    expect(new Set(batchWrites.map((w) => w[0])).size).toBe(1);
    for (const client of clients) {
      expect(client.itemIds()).toEqual(added.map((a) => a.item_id));
      // The batch's metrics reflect the three items.
      const metrics = client.events().filter((e) => e.event === 'metrics');
      expect(metrics.at(-1)?.data).toMatchObject({ total: 3, positive: 2, negative: 1 });
    }
  });

  it('opens with stream_open, the snapshot and a heartbeat, in that order', async () => {
    const { feed, hub, step } = await engine();
    feed.append(item('AAA'));
    await step();
    const client = recordingSink();
    await hub.connect({ sink: client.sink, clientId: 'c', lastEventId: undefined });
    expect(client.names()).toEqual(['stream_open', 'metrics', 'sentiment_update', 'heartbeat']);
    const open = client.events()[0];
    expect(open?.event === 'stream_open' && open.data.outcome).toBe('fresh');
  });
});

describe('hub openings', () => {
  it('frames an opening once per millisecond: streams opening in it get the same string', async () => {
    let now = Date.parse('2026-11-26T06:00:00.000Z');
    const { feed, hub, step } = await engine(createMemoryFeed(), 10, () => now);
    feed.append(item('AAA'));
    await step();
    const sameMs = [recordingSink(), recordingSink(), recordingSink()];
    for (const client of sameMs) await hub.connect({ sink: client.sink, clientId: 'c', lastEventId: undefined });
    const openings = sameMs.map((client) => client.writes[0]);
    expect(new Set(openings).size).toBe(1);
    // The heartbeat is a reading at its millisecond: the count as of the first stream opened in it.
    const heartbeat = sameMs[2]?.events().find((e) => e.event === 'heartbeat');
    expect(heartbeat?.event === 'heartbeat' && heartbeat.data).toMatchObject({
      timestamp: '2026-11-26T06:00:00.000Z',
      connections: 1,
    });

    now += 1;
    const later = recordingSink();
    await hub.connect({ sink: later.sink, clientId: 'c', lastEventId: undefined });
    expect(later.writes[0]).not.toBe(openings[0]);
    const laterBeat = later.events().find((e) => e.event === 'heartbeat');
    expect(laterBeat?.event === 'heartbeat' && laterBeat.data).toMatchObject({
      timestamp: '2026-11-26T06:00:00.001Z',
      connections: 4,
    });
  });

  it('frames a resumed stream its own opening in the same millisecond', async () => {
    const now = Date.parse('2026-11-26T06:00:00.000Z');
    const { feed, hub, step } = await engine(createMemoryFeed(), 10, () => now);
    feed.append(item('AAA'));
    await step();
    const fresh = recordingSink();
    await hub.connect({ sink: fresh.sink, clientId: 'c', lastEventId: undefined });
    const resumed = recordingSink();
    await hub.connect({ sink: resumed.sink, clientId: 'c', lastEventId: fresh.lastId() });
    const outcome = resumed.events().find((e) => e.event === 'stream_open');
    expect(outcome?.event === 'stream_open' && outcome.data.outcome).toBe('resumed');
    expect(resumed.writes[0]).not.toBe(fresh.writes[0]);
  });
});

describe('hub views', () => {
  it('gives a configuration stream only its tickers, and the global stream everything', async () => {
    const { feed, step, global, configured } = await globalAndConfigured(['AAA']);
    const [a1, b1, a2] = feed.append(item('AAA'), item('BBB'), item('AAA', 'neutral'));
    await step();
    expect(global.itemIds()).toEqual([a1?.item_id, b1?.item_id, a2?.item_id]);
    expect(configured.itemIds()).toEqual([a1?.item_id, a2?.item_id]);
    const configMetrics = configured.events().filter((e) => e.event === 'metrics');
    expect(configMetrics.at(-1)?.data).toMatchObject({ total: 2, positive: 1, neutral: 1 });
    const updates = configured.events().flatMap((e) => (e.event === 'sentiment_update' ? [e.data.ticker] : []));
    expect(new Set(updates)).toEqual(new Set(['AAA']));
  });

  it('applies an edit of the configuration from the next batch, and ends the stream when it is deleted', async () => {
    const feed = createMemoryFeed();
    feed.setConfiguration(USER, configuration(['AAA']));
    const { hub, step } = await engine(feed);
    const configured = recordingSink('configurationStream');
    const subscriber = await hub.connect({
      sink: configured.sink,
      clientId: USER,
      lastEventId: undefined,
      configuration: { userId: USER, value: configuration(['AAA']) },
    });
    feed.setConfiguration(USER, configuration(['BBB']));
    const [, b1] = feed.append(item('AAA'), item('BBB'));
    await step();
    expect(configured.itemIds()).toEqual([b1?.item_id]);
    feed.deleteConfiguration(USER, configuration([]).config_id);
    feed.append(item('BBB'));
    await step();
    expect(configured.names().at(-1)).toBe('stream_closed');
    expect(configured.itemIds()).toEqual([b1?.item_id]);
    expect(await subscriber.closed).toBe('configuration_deleted');
    expect(hub.size).toBe(0);
  });
});

describe('hub fan-out when the store fails after the poll', () => {
  it('delivers the batch without aggregates, and the next batch brings them', async () => {
    const { feed, step, global, configured } = await globalAndConfigured(['AAA']);
    const opened = { global: global.events().length, configured: configured.events().length };
    // The poll reads the feed; the aggregates and the configuration then fail to read.
    feed.fail('aggregates');
    feed.fail('getConfiguration');
    const [a1, b1] = feed.append(item('AAA'), item('BBB'));
    await step();
    expect(global.itemIds()).toEqual([a1?.item_id, b1?.item_id]);
    expect(configured.itemIds()).toEqual([a1?.item_id]);
    expect(
      global
        .events()
        .slice(opened.global)
        .map((e) => e.event),
    ).toEqual(['new_item', 'new_item']);
    expect(
      configured
        .events()
        .slice(opened.configured)
        .map((e) => e.event),
    ).toEqual(['new_item']);

    feed.heal('aggregates');
    feed.heal('getConfiguration');
    await step();
    expect(
      global
        .events()
        .filter((e) => e.event === 'metrics')
        .at(-1)?.data,
    ).toMatchObject({ total: 2 });
    const updated = global.events().flatMap((e) => (e.event === 'sentiment_update' ? [e.data.ticker] : []));
    expect(new Set(updated)).toEqual(new Set(['AAA', 'BBB']));
    expect(
      configured
        .events()
        .filter((e) => e.event === 'metrics')
        .at(-1)?.data,
    ).toMatchObject({ total: 1 });
    expect(global.itemIds()).toEqual([a1?.item_id, b1?.item_id]);
  });
});

describe('hub fan-out reads after a failure', () => {
  it('makes no more store reads in a batch once one failed, and still delivers to every view', async () => {
    const feed = createMemoryFeed();
    const configs = ['AAA', 'BBB', 'CCC'].map((ticker, i) => ({
      ...configuration([ticker]),
      config_id: `6f1c7f52-3d1e-4a57-9a8e-0d6b2c1f4e1${String(i)}`,
    }));
    for (const config of configs) feed.setConfiguration(USER, config);
    const { hub, step } = await engine(feed);
    const clients = configs.map((config) => ({ config, sink: recordingSink('configurationStream') }));
    for (const { config, sink } of clients) {
      await hub.connect({
        sink: sink.sink,
        clientId: USER,
        lastEventId: undefined,
        configuration: { userId: USER, value: config },
      });
    }
    feed.fail('getConfiguration');
    const before = { ...feed.calls };
    const added = feed.append(item('AAA'), item('BBB'), item('CCC'));
    await step();
    // One configuration read failed; neither the others nor any aggregates were tried.
    expect(feed.calls.getConfiguration - before.getConfiguration).toBe(1);
    expect(feed.calls.aggregates - before.aggregates).toBe(0);
    expect(clients.map((c) => c.sink.itemIds())).toEqual(added.map((a) => [a.item_id]));
  });
});

describe('hub resume', () => {
  it('resumes a client from another process whose poller is behind, without repeating what that process delivered', async () => {
    const feed = createMemoryFeed();
    const a = await engine(feed);
    const b = await engine(feed);
    const onA = recordingSink();
    await a.hub.connect({ sink: onA.sink, clientId: 'c', lastEventId: undefined });
    const delivered = feed.append(item('AAA'));
    await a.step();
    expect(onA.itemIds()).toEqual(delivered.map((i) => i.item_id));
    // Process A goes away; the client comes back on B, whose poller has not read that item yet.
    const onB = recordingSink();
    await b.hub.connect({ sink: onB.sink, clientId: 'c', lastEventId: onA.lastId() });
    await b.step();
    const later = feed.append(item('BBB'));
    await b.step();
    expect(onB.itemIds()).toEqual(later.map((i) => i.item_id));
  });

  it('replays after the cursor, then goes live with no duplicate and no gap when batches arrive during the replay', async () => {
    const { feed, hub, step } = await engine();
    const first = recordingSink();
    await hub.connect({ sink: first.sink, clientId: 'c', lastEventId: undefined });
    const early = feed.append(item('AAA'), item('BBB'), item('CCC'));
    await step();
    // The client saw the first item only, then lost its connection.
    const resumeFrom = first.events().find((e) => e.event === 'new_item')?.id;
    expect(resumeFrom).toBeDefined();
    const resumed = recordingSink();
    // The replay's read is held while the feed moves on and a batch is fanned out.
    const replayRead = feed.pause('readAfter', (options) => options?.signal !== undefined);
    const connecting = hub.connect({ sink: resumed.sink, clientId: 'c', lastEventId: resumeFrom });
    await replayRead.reached;
    const during = feed.append(item('AAA'));
    await step();
    const alsoDuring = feed.append(item('BBB'));
    replayRead.release();
    const subscriber = await connecting;
    expect(subscriber.state).toBe('live');
    // The poller now brings `alsoDuring`, which the replay already sent: it must not come twice.
    await step();
    const after = feed.append(item('CCC'));
    await step();
    const expected = [...early.slice(1), ...during, ...alsoDuring, ...after].map((i) => i.item_id);
    expect(resumed.itemIds()).toEqual(expected);
    const open = resumed.events()[0];
    expect(open?.event === 'stream_open' && open.data.outcome).toBe('resumed');
    // Each item's id resumes exactly after it: resuming from the last one replays nothing.
    const again = recordingSink();
    await hub.connect({ sink: again.sink, clientId: 'c', lastEventId: resumed.lastId() });
    expect(again.itemIds()).toEqual([]);
  });

  it('reads again when a batch was fanned out after the replay read started (no gap)', async () => {
    const { feed, hub, step } = await engine();
    const first = recordingSink();
    await hub.connect({ sink: first.sink, clientId: 'c', lastEventId: undefined });
    const early = feed.append(item('AAA'), item('BBB'));
    await step();
    const resumeFrom = first.events().find((e) => e.event === 'new_item')?.id;
    const resumed = recordingSink();
    // The replay has read (without what follows) but not yet answered when the batch goes out.
    const replayAnswer = feed.pause('readAfter', (options) => options?.signal !== undefined, 'after');
    const connecting = hub.connect({ sink: resumed.sink, clientId: 'c', lastEventId: resumeFrom });
    await replayAnswer.reached;
    const during = feed.append(item('CCC'));
    await step();
    replayAnswer.release();
    await connecting;
    const after = feed.append(item('AAA'));
    await step();
    expect(resumed.itemIds()).toEqual([...early.slice(1), ...during, ...after].map((i) => i.item_id));
  });

  it('answers a cursor it cannot read with outcome reset and no replay', async () => {
    const { feed, hub } = await engine();
    feed.append(item('AAA'));
    const client = recordingSink();
    await hub.connect({ sink: client.sink, clientId: 'c', lastEventId: 'not-a-cursor' });
    const open = client.events()[0];
    expect(open?.event === 'stream_open' && open.data.outcome).toBe('reset');
    expect(client.itemIds()).toEqual([]);
  });

  it('ends a replay the store fails with a reconnect carrying the last cursor sent', async () => {
    const { feed, hub, step } = await engine();
    const first = recordingSink();
    await hub.connect({ sink: first.sink, clientId: 'c', lastEventId: undefined });
    feed.append(item('AAA'), item('BBB'));
    await step();
    const from = first.events().find((e) => e.event === 'new_item')?.id;
    feed.fail('readAfter');
    const resumed = recordingSink();
    const subscriber = await hub.connect({ sink: resumed.sink, clientId: 'c', lastEventId: from });
    expect(await subscriber.closed).toBe('store_unavailable');
    const last = resumed.events().at(-1);
    expect(last?.event).toBe('reconnect');
    // At the last position sent, with an id of its own.
    expect(decodeCursor(last?.id ?? '')).toEqual(decodeCursor(from ?? ''));
    expect(last?.id).not.toBe(from);
    // Only the first client's stream is left.
    expect(hub.size).toBe(1);
  });
});

describe('hub backpressure', () => {
  it('queues items behind a blocked sink and coalesces metrics to the newest', async () => {
    const { feed, hub, step } = await engine();
    const slow = recordingSink();
    const fast = recordingSink();
    await hub.connect({ sink: fast.sink, clientId: 'f', lastEventId: undefined });
    slow.block();
    await hub.connect({ sink: slow.sink, clientId: 's', lastEventId: undefined });
    const writesWhileBlocked = slow.writes.length;
    const batches = [];
    for (const input of [item('AAA'), item('BBB'), item('AAA', 'negative')]) {
      batches.push(feed.append(input));
      await step();
    }
    expect(slow.writes).toHaveLength(writesWhileBlocked);
    slow.drain();
    const all = batches.flat().map((i) => i.item_id);
    expect(slow.itemIds()).toEqual(all);
    expect(fast.itemIds()).toEqual(all);
    // The opening ends with its heartbeat; what follows came from the batches.
    const metricsAfterOpen = (events: StreamEvent[]) =>
      events.slice(events.findIndex((e) => e.event === 'heartbeat') + 1).filter((e) => e.event === 'metrics');
    // The fast client got one metrics per batch; the slow one only the newest, after its items.
    expect(metricsAfterOpen(fast.events())).toHaveLength(3);
    const slowMetrics = metricsAfterOpen(slow.events());
    expect(slowMetrics).toHaveLength(1);
    expect(slowMetrics[0]?.data).toMatchObject({ total: 3 });
    expect(slow.names().at(-1)).toBe('metrics');
  });

  it('disconnects a subscriber whose queue passes its limit, and keeps the others', async () => {
    const feed = createMemoryFeed();
    const { hub, step, closed } = await engine(feed);
    const slow = recordingSink();
    slow.block();
    const subscriber = await hub.connect({ sink: slow.sink, clientId: 's', lastEventId: undefined });
    for (let i = 0; i < 200 && !subscriber.isClosed(); i++) {
      feed.append(...Array.from({ length: 50 }, () => item('AAA')));
      await step();
    }
    expect(await subscriber.closed).toBe('slow_consumer');
    expect(closed).toEqual(['slow_consumer']);
    expect(hub.size).toBe(0);
  });
});

describe('hub connect faults', () => {
  it('frees the slot of a subscriber that closes while its snapshot is read', async () => {
    const { feed, hub } = await engine(createMemoryFeed(), 1);
    const snapshot = feed.pause('aggregates');
    const client = recordingSink();
    const connecting = hub.connect({ sink: client.sink, clientId: 'c', lastEventId: undefined });
    await snapshot.reached;
    expect(hub.hasCapacity()).toBe(false);
    client.clientCloses();
    snapshot.release();
    const subscriber = await connecting;
    expect(subscriber.isClosed()).toBe(true);
    expect(hub.size).toBe(0);
    expect(hub.hasCapacity()).toBe(true);
    // Nothing was written to the gone client.
    expect(client.writes).toEqual([]);
  });

  it('opens degraded when the store fails at connect, and sends the snapshot once it recovers', async () => {
    const { feed, hub, step } = await engine();
    feed.fail('aggregates');
    const client = recordingSink();
    const subscriber = await hub.connect({ sink: client.sink, clientId: 'c', lastEventId: undefined });
    expect(subscriber.state).toBe('live');
    expect(client.names()).toEqual(['stream_open', 'heartbeat']);
    feed.heal('aggregates');
    const added = feed.append(item('AAA'));
    await step();
    const names = client.names();
    expect(names.slice(2, 4)).toEqual(['metrics', 'sentiment_update']);
    expect(client.itemIds()).toEqual(added.map((a) => a.item_id));
  });

  it('ends live streams with a reconnect hint on closeAll', async () => {
    const { hub } = await engine();
    const client = recordingSink();
    const subscriber = await hub.connect({ sink: client.sink, clientId: 'c', lastEventId: undefined });
    hub.closeAll('shutdown');
    expect(await subscriber.closed).toBe('shutdown');
    const last = client.events().at(-1);
    expect(last?.event === 'reconnect' && last.data.reason).toBe('shutdown');
    expect(client.isEnded()).toBe(true);
  });
});
