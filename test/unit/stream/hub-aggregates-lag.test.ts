/**
 * Aggregates that trail the feed: a poll woken by an ingest can read an item before the counters
 * that include it (the poller's store caches them briefly). The global stream pushes aggregates
 * of tickers outside the most active ones only when they move, so such a ticker's update must not
 * be lost when the batch that carried its item came too early to count it.
 */
import { describe, expect, it } from 'vitest';
import { createMemoryFeed } from '../../support/memory-feed.ts';
import { engine, item, recordingSink } from './hub-harness.ts';

/**
 * One stream open on a feed where one ticker (AAA) is the most active; the others' aggregates
 * are pushed only when they move.
 */
async function oneStreamOnBusyTicker() {
  const running = await engine(createMemoryFeed(Date.now(), { maxTopTickers: 1 }));
  running.feed.append(item('AAA'), item('AAA'), item('BBB'));
  await running.step();
  const client = recordingSink();
  await running.hub.connect({ sink: client.sink, clientId: 'c', lastEventId: undefined });
  const updatesOf = (ticker: string) =>
    client.events().flatMap((e) => (e.event === 'sentiment_update' && e.data.ticker === ticker ? [e.data] : []));
  return { ...running, client, updatesOf };
}

describe('a batch whose aggregates do not count its items yet', () => {
  it('still brings the quiet ticker’s update, with a later batch that counts it', async () => {
    const { feed, step, client, updatesOf } = await oneStreamOnBusyTicker();

    feed.freezeAggregates();
    const [quiet] = feed.append(item('CCC'));
    await step();
    // The item is out at once, its ticker's aggregate not yet: the counters do not have it.
    expect(client.itemIds()).toEqual([quiet?.item_id]);
    expect(updatesOf('CCC')).toEqual([]);

    feed.thawAggregates();
    // The next poll has no item for CCC, yet its counters now do.
    await step();
    expect(updatesOf('CCC')).toEqual([expect.objectContaining({ ticker: 'CCC', total: 1 })]);
    // And only once.
    await step();
    expect(updatesOf('CCC')).toHaveLength(1);
  });

  it('brings the quiet ticker’s update after a batch the store failed, however much later', async () => {
    const { feed, step, client, updatesOf } = await oneStreamOnBusyTicker();

    feed.fail('aggregates');
    const [quiet] = feed.append(item('CCC'));
    await step();
    expect(client.itemIds()).toEqual([quiet?.item_id]);
    expect(updatesOf('CCC')).toEqual([]);

    // The store answers again only after the recent-ticker window has passed.
    feed.heal('aggregates');
    feed.advance(10_000);
    await step();
    expect(updatesOf('CCC')).toEqual([expect.objectContaining({ ticker: 'CCC', total: 1 })]);
    await step();
    expect(updatesOf('CCC')).toHaveLength(1);
  });
});
