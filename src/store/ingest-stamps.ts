/**
 * An item's arrival stamp (its feed position and `ingested_at`) and when it moves. Readers trust
 * a stamp to become visible within the settle window, so a feed entry is only sent while its
 * stamp is fresh (ingest-model.ts, `freshFor`); an item whose stamp aged before its put left
 * (slow claims in the batch, throttling retries) gets a new one first. The marker is the one
 * place the stamp lives, so moving it is one conditional update there, owned by its writer.
 */
import { randomBytes } from 'node:crypto';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { StoreContext } from './context.ts';
import {
  arrivalOf,
  freshFor,
  IngestNotConfirmedError,
  isConditionFailure,
  type Marker,
  type Owned,
} from './ingest-model.ts';
import { feedSortKey, markerKey, ttlSeconds } from './keys.ts';

/** A token naming the request that writes an item's feed entry. */
const newWriter = (): string => randomBytes(9).toString('base64url');

/**
 * Moves the marker to a new stamp, now, for `writer`, only if it still says `seen` (its position
 * and writer): the one way a stamp changes, for a writer refreshing its own item or a request
 * taking over one whose writer is gone. Undefined when someone else moved it first.
 */
async function moveStamp(ctx: StoreContext, seen: Marker, writer: string): Promise<Marker | undefined> {
  const now = ctx.now();
  const feedSk = feedSortKey(now, seen.item.item_id);
  const ingestedAt = new Date(now).toISOString();
  try {
    await ctx.documents.send(
      new UpdateCommand({
        TableName: ctx.tableName,
        Key: markerKey(seen.item.item_id),
        UpdateExpression: 'SET feed_sk = :sk, writer = :writer, #item.ingested_at = :at, #ttl = :ttl',
        ConditionExpression: 'feed_sk = :seen AND writer = :seenWriter',
        ExpressionAttributeNames: { '#item': 'item', '#ttl': 'ttl' },
        ExpressionAttributeValues: {
          ':sk': feedSk,
          ':writer': writer,
          ':at': ingestedAt,
          // The marker lives as long as the entry it now points at.
          ':ttl': ttlSeconds(now + ctx.retentionMs),
          ':seen': seen.feed_sk,
          ':seenWriter': seen.writer,
        },
      }),
    );
  } catch (error) {
    if (isConditionFailure(error)) return undefined;
    throw error;
  }
  return { ...seen, feed_sk: feedSk, writer, item: { ...seen.item, ingested_at: ingestedAt } };
}

/**
 * Re-stamps the items about to be sent to the feed whose stamp is no longer fresh and whose
 * entry no put can have placed. One that someone else took over meanwhile (this request was
 * slower than the whole window) is theirs now: the batch cannot be confirmed yet.
 */
async function refreshStamps(ctx: StoreContext, owned: readonly Owned[]): Promise<void> {
  const oldest = ctx.now() - freshFor(ctx);
  await Promise.all(
    owned
      .filter((entry) => !entry.placed && arrivalOf(entry.marker) < oldest)
      .map(async (entry) => {
        const moved = await moveStamp(ctx, entry.marker, entry.marker.writer);
        if (moved === undefined) throw new IngestNotConfirmedError([entry.marker.item.item_id], 1000);
        entry.marker = moved;
      }),
  );
}

export { moveStamp, newWriter, refreshStamps };
