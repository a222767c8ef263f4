/**
 * Step 2 of an ingest: the feed entries of the owned items, at their markers' positions, as
 * BatchWrites. Putting an entry twice writes the same thing; once its put is sent, an item's
 * stamp is final.
 */
import type { StoreContext } from './context.ts';
import { BATCH_ATTEMPTS, BATCH_SIZE, backoff, type Row, sendPuts, tooManyAttempts } from './batch-write.ts';
import type { Owned, OwnedMarker } from './ingest-model.ts';
import { refreshStamps } from './ingest-stamps.ts';
import { parseFeedSortKey, tickerIndexKey, ttlSeconds } from './keys.ts';

const feedRow = (ctx: StoreContext, marker: OwnedMarker): Row => ({
  pk: marker.feed_pk,
  sk: marker.feed_sk,
  gsi1pk: tickerIndexKey(marker.item.ticker),
  gsi1sk: marker.feed_sk,
  item: marker.item,
  ttl: ttlSeconds(parseFeedSortKey(marker.feed_sk).arrivalMs + ctx.retentionMs),
});

/**
 * Step 2, the feed entries: like `batchPut` (batch-write.ts), but right before each send (retries
 * included) the entries it carries get fresh stamps where theirs aged (`refreshStamps`). An entry
 * DynamoDB applied keeps its stamp for good; one it left unprocessed was not written and may move
 * again.
 */
async function writeFeed(ctx: StoreContext, owned: readonly Owned[], check: () => void): Promise<void> {
  for (let i = 0; i < owned.length; i += BATCH_SIZE) {
    let pending = owned.slice(i, i + BATCH_SIZE);
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt === BATCH_ATTEMPTS) throw tooManyAttempts();
      if (attempt > 0) await backoff(attempt);
      check();
      await refreshStamps(ctx, pending);
      check();
      // From the send on, an entry may exist: only what DynamoDB hands back unprocessed was not written.
      for (const entry of pending) entry.placed = true;
      const unprocessed = await sendPuts(
        ctx,
        pending.map(({ marker }) => feedRow(ctx, marker)),
      );
      const left = new Set(unprocessed.map((row) => row.sk));
      pending = pending.filter(({ marker }) => left.has(marker.feed_sk));
      for (const entry of pending) entry.placed = false;
    }
  }
}

export { writeFeed };
