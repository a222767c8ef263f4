/**
 * The arrival stamp of an owned item (feed position, counter hour, `ingested_at`) and when it
 * moves. Readers trust a stamp to become visible within the settle window (`settleMs`,
 * src/stream/cursor.ts), so a feed entry is only ever sent at a stamp younger than half that
 * window: an item whose stamp aged past it before its feed put leaves (slow claims in the batch,
 * throttling retries, a takeover) is re-stamped first, and counted in the hour of its final stamp.
 * What remains assumed: the re-stamp and the put, once sent, land within the other half (minus
 * clock skew).
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';
import { IngestNotConfirmedError, isConditionFailure, type Owned, type OwnedMarker } from './ingest-model.ts';
import { feedKey, markerKey } from './keys.ts';

/**
 * A feed put leaves only with a stamp younger than this share of the settle window; the rest of
 * the window is for the re-stamp and the put in flight, and for clock skew between instances.
 */
const FRESH_SHARE_OF_SETTLE = 0.5;

/**
 * A new owner re-stamps the item when the first owner never wrote the feed entry: its old stamp
 * is long past every reader's watermark, and an entry written there would be skipped. When the
 * entry is there, it has been visible since then, and the item keeps its stamp.
 */
async function repositionIfMissing(ctx: StoreContext, marker: OwnedMarker): Promise<Owned> {
  const { Item: entry } = await ctx.documents.send(
    new GetCommand({ TableName: ctx.tableName, Key: { pk: marker.feed_pk, sk: marker.feed_sk }, ConsistentRead: true }),
  );
  if (entry !== undefined) return { marker, placed: true };
  return { marker: await restamp(ctx, marker), placed: false };
}

/**
 * Moves an owned item to a new arrival stamp, now: feed position, counter hour and `ingested_at`
 * together, so it is listed and counted at one instant. Only for an item whose feed entry nobody
 * wrote; such an item is counted nowhere yet, since counting starts only after the batch's feed
 * puts have all been applied.
 */
async function restamp(ctx: StoreContext, marker: OwnedMarker): Promise<OwnedMarker> {
  const now = ctx.now();
  const position = feedKey(now, marker.item.item_id);
  const item = { ...marker.item, ingested_at: new Date(now).toISOString() };
  try {
    await ctx.documents.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: markerKey(marker.item.item_id),
        UpdateExpression: 'SET arrival_ms = :arrival, feed_pk = :pk, feed_sk = :sk, #item = :item',
        ConditionExpression: '#owner = :owner',
        ExpressionAttributeNames: { '#owner': 'owner', '#item': 'item' },
        ExpressionAttributeValues: {
          ':arrival': now,
          ':pk': position.pk,
          ':sk': position.sk,
          ':item': item,
          ':owner': marker.owner,
        },
      }),
    );
  } catch (error) {
    if (!isConditionFailure(error)) throw error;
    // Another request took the item over, so this one's lease is over (clock skew): stop here.
    throw new IngestNotConfirmedError('timeout', [marker.item.item_id], marker.lease_until - now);
  }
  return { ...marker, arrival_ms: now, feed_pk: position.pk, feed_sk: position.sk, item };
}

/**
 * Re-stamps the items about to be sent to the feed whose stamp is older than the fresh share of
 * the settle window and that have no entry anywhere yet. A settle window of 0 promises nothing
 * about late writes, so there is nothing to keep fresh.
 */
async function refreshStamps(ctx: StoreContext, owned: readonly Owned[]): Promise<void> {
  if (ctx.settleMs <= 0) return;
  const oldest = ctx.now() - ctx.settleMs * FRESH_SHARE_OF_SETTLE;
  await Promise.all(
    owned
      .filter((entry) => !entry.placed && entry.marker.arrival_ms < oldest)
      .map(async (entry) => {
        entry.marker = await restamp(ctx, entry.marker);
      }),
  );
}

export { refreshStamps, repositionIfMissing };
