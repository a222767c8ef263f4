/**
 * Step 2 of an ingest: the feed entries of the items this request writes, at their markers'
 * positions, as BatchWrites. Putting an entry twice writes the same thing; once its put is sent,
 * an item's stamp is final.
 */
import type { StoreContext } from './context.ts';
import { decodeFeedRow } from './decode.ts';
import type { FeedRowRaw } from './feed-query.ts';
import { BATCH_ATTEMPTS, BATCH_SIZE, backoff, type Row, sendPuts, StoreBusyError } from './batch-write.ts';
import { arrivalOf, type Marker, type Owned } from './ingest-model.ts';
import { refreshStamps } from './ingest-stamps.ts';
import { feedPartition, tickerIndexKey, ttlSeconds } from './keys.ts';

const feedRow = (ctx: StoreContext, marker: Marker): Row => ({
  pk: feedPartition(marker.shard),
  sk: marker.feed_sk,
  gsi1pk: tickerIndexKey(marker.item.ticker),
  gsi1sk: marker.feed_sk,
  item: marker.item,
  ttl: ttlSeconds(arrivalOf(marker) + ctx.retentionMs),
});

/** What the feed writes of one ingest tell the rest of the process (feed-activity.ts). */
interface FeedWriteHooks {
  /** A BatchWrite of feed entries is about to be sent. */
  readonly onFeedSend?: () => void;
  /** That BatchWrite came back: the entries it applied, as a read would return them. */
  readonly onFeedWritten?: (rows: readonly FeedRowRaw[]) => void;
}

/**
 * The feed entries, like `batchPut` (batch-write.ts), but right before each send (retries
 * included) the entries it carries get fresh stamps where theirs aged (`refreshStamps`). An entry
 * DynamoDB applied keeps its stamp for good; one it left unprocessed was not written and may move
 * again.
 */
async function writeFeed(ctx: StoreContext, owned: readonly Owned[], hooks: FeedWriteHooks = {}): Promise<void> {
  // One BatchWrite after the other, in no particular order: readers assume nothing about the
  // order in which a stamp's items become visible until the stamp has settled (cursor.ts).
  for (let i = 0; i < owned.length; i += BATCH_SIZE) {
    let pending = owned.slice(i, i + BATCH_SIZE);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === BATCH_ATTEMPTS) throw new StoreBusyError('BatchWriteItem kept leaving feed entries unprocessed');
      if (attempt > 0) await backoff(attempt);
      await refreshStamps(ctx, pending);
      // From the send on, an entry may exist: only what DynamoDB hands back unprocessed was not written.
      for (const entry of pending) entry.placed = true;
      const rows = pending.map(({ marker }) => feedRow(ctx, marker));
      hooks.onFeedSend?.();
      const unprocessed = await sendPuts(ctx, rows);
      const left = new Set(unprocessed.map((row) => row.sk));
      hooks.onFeedWritten?.(rows.filter((row) => !left.has(row.sk)).map((row) => decodeFeedRow(row)));
      pending = pending.filter(({ marker }) => left.has(marker.feed_sk));
      for (const entry of pending) entry.placed = false;
    }
  }
}

export type { FeedWriteHooks };
export { writeFeed };
