/**
 * What the steps of an ingest share: the statuses it answers, the marker it keeps per item, the
 * items a request writes, the timing rule of feed writes and the error of a batch it cannot
 * confirm yet. The steps and their order are described in ingest.ts.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import type { Item, ItemInput } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { asRecord, decodeItem, numberField, rowName, stringField } from './decode.ts';
import { parseFeedSortKey } from './keys.ts';

type IngestStatus = 'created' | 'duplicate' | 'conflict';

/**
 * The batch cannot be confirmed yet: some items are another request's feed writes still in
 * flight (or lost to a crash, which only time can tell). Nothing was written twice, and a retry
 * of the same batch after `retryAfterMs` is safe: by then each such item is stored, or this
 * store may write it itself.
 */
class IngestNotConfirmedError extends Error {
  readonly itemIds: readonly string[];
  readonly retryAfterMs: number;
  constructor(itemIds: readonly string[], retryAfterMs: number) {
    super(`ingest not confirmed for ${itemIds.length} item(s); retry in ${retryAfterMs} ms`);
    this.name = 'IngestNotConfirmedError';
    this.itemIds = itemIds;
    this.retryAfterMs = Math.max(0, retryAfterMs);
  }
}

/** The idempotency marker `ITEM#<id>`: the content hash, the item, and where its feed entry goes. */
interface Marker {
  readonly pk: string;
  readonly sk: string;
  readonly hash: string;
  readonly shard: number;
  /** The feed entry's sort key: arrival stamp and item id. */
  readonly feed_sk: string;
  /** The request that writes the feed entry now (a random token). */
  readonly writer: string;
  readonly item: Item;
}

function decodeMarker(value: unknown): Marker {
  const raw = asRecord(value, 'marker', 'row');
  const row = rowName(raw);
  return {
    pk: stringField(raw, 'pk', row),
    sk: stringField(raw, 'sk', row),
    hash: stringField(raw, 'hash', row),
    shard: numberField(raw, 'shard', row),
    feed_sk: stringField(raw, 'feed_sk', row),
    writer: stringField(raw, 'writer', row),
    item: decodeItem(raw.item, row),
  };
}

/** An item this request writes the feed entry of. */
interface Owned {
  /** The marker as this request writes the item (its stamp may still move, see ingest-stamps.ts). */
  marker: Marker;
  /**
   * A put of the feed entry may have been applied (it was sent and not handed back unprocessed):
   * the stamp is final, since moving it would list the item twice.
   */
  placed: boolean;
}

const arrivalOf = (marker: Pick<Marker, 'feed_sk'>): number => parseFeedSortKey(marker.feed_sk).arrivalMs;

/**
 * The write window: a feed entry is only sent while its stamp is younger than half of it, and
 * readers trust a stamp to be visible once the window has passed (it is the settle window,
 * FEED_SETTLE_MS, with a floor for settings that promise nothing about late writes).
 */
const MIN_WRITE_WINDOW_MS = 2000;
const writeWindow = (ctx: StoreContext): number => Math.max(ctx.settleMs, MIN_WRITE_WINDOW_MS);

/** Feed puts leave only with a stamp younger than this (ms). */
const freshFor = (ctx: StoreContext): number => writeWindow(ctx) / 2;

/**
 * When a marker without a feed entry may be taken over: its writer sent its put within half the
 * window (or never will), the put landed within the other half, and the rest is for clock skew
 * between instances. Absent by then means never.
 */
const takeoverAt = (ctx: StoreContext, marker: Pick<Marker, 'feed_sk'>): number =>
  arrivalOf(marker) + 1.5 * writeWindow(ctx);

/** Content fingerprint with sorted keys, so field order in the JSON body does not matter. */
function contentHash(input: ItemInput): string {
  const sorted = Object.fromEntries(Object.entries(input).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('base64url');
}

const isConditionFailure = (error: unknown): boolean => error instanceof ConditionalCheckFailedException;

export type { IngestStatus, Marker, Owned };
export { arrivalOf, contentHash, decodeMarker, freshFor, IngestNotConfirmedError, isConditionFailure, takeoverAt };
