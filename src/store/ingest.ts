/**
 * Idempotent append without transactions (dynalite has none): conditional writes only. The feed
 * is the log; everything counted is folded from it later (fold.ts), so an ingest only appends.
 *
 * Per item, in this order:
 * 1. **Marker** `ITEM#<id>`: put only if absent. It holds the content hash (to tell a re-post
 *    from a conflicting one), the item, its feed position (shard and arrival stamp) and its
 *    writer. The request whose put succeeds writes the item (ingest-claim.ts).
 * 2. **Feed entry** at the marker's position: an idempotent put (same key, same content), sent
 *    only while the stamp is fresh (ingest-stamps.ts). Once it is sent, the stamp is final
 *    (ingest-feed.ts).
 *
 * A re-post finds the marker: with the feed entry there, the item is stored (`duplicate`, or
 * `conflict` if the content differs: the first write wins). Without it, the writer may still be
 * putting it until its window has passed (ingest-model.ts, `takeoverAt`): the request waits a
 * little, and after that takes the item over with a new stamp and writes the entry itself, from
 * the content stored in the marker. So a writer that died between its two puts is replaced by
 * the first retry after its window, and two requests never both write an entry: a writer sends
 * only fresh stamps, a takeover moves only a stamp that can no longer be sent.
 *
 * The answer is honest: statuses come back only when every item of the batch is stored; an item
 * whose writer may still be at work is `IngestNotConfirmedError`, with the time after which a
 * retry is sure to be answered.
 *
 * This module runs the steps in order; the others each do one of them. It is the ingest's one
 * door: what callers need of the others is exported from here.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { ItemInput } from '../contract/index.ts';
import type { StoreContext } from './context.ts';
import { type Claim, claimItem, recheckItem } from './ingest-claim.ts';
import { type FeedWriteHooks as IngestHooks, writeFeed } from './ingest-feed.ts';
import { contentHash, IngestNotConfirmedError, type IngestStatus, type Owned } from './ingest-model.ts';

/**
 * How long a request waits for another writer's feed entry before it answers "not yet": that
 * writer is almost always another request with the same batch, a few milliseconds ahead.
 */
const BUSY_WAIT_MS = 1000;

/** Each distinct item of a batch: where it first occurs (later occurrences are re-posts of it). */
type FirstOccurrences = ReadonlyMap<string, { readonly position: number; readonly input: ItemInput }>;

function firstOccurrences(items: readonly ItemInput[]): FirstOccurrences {
  const first = new Map<string, { readonly position: number; readonly input: ItemInput }>();
  items.forEach((input, position) => {
    if (!first.has(input.item_id)) first.set(input.item_id, { position, input });
  });
  return first;
}

/** Claims every distinct item of the batch at once; the first occurrence of an id claims it. */
async function claimAll(ctx: StoreContext, first: FirstOccurrences) {
  const claims = new Map<string, Claim>();
  await Promise.all(
    [...first].map(async ([itemId, { input }]) => {
      claims.set(itemId, await claimItem(ctx, input));
    }),
  );
  return claims;
}

const ownedOf = (claims: Iterable<Claim>): Owned[] =>
  [...claims].flatMap((claim) => (claim.kind === 'final' && claim.owned ? [claim.owned] : []));

/** The items whose claim is busy, with when their writer's window ends. */
const busyOf = (first: FirstOccurrences, claims: ReadonlyMap<string, Claim>) =>
  [...first].flatMap(([itemId, { input }]) => {
    const claim = claims.get(itemId);
    return claim?.kind === 'busy' ? [{ itemId, input, until: claim.until }] : [];
  });

/**
 * Asks again about busy items, with a growing pause, until each is final or BUSY_WAIT_MS of real
 * time has passed; items taken over on the way are written. Returns what is still busy.
 */
async function waitOutBusy(
  ctx: StoreContext,
  first: FirstOccurrences,
  claims: Map<string, Claim>,
  write: (owned: readonly Owned[]) => Promise<void>,
): Promise<{ itemId: string; until: number }[]> {
  const deadline = performance.now() + BUSY_WAIT_MS;
  let pause = 25;
  for (;;) {
    const busy = busyOf(first, claims);
    if (busy.length === 0 || performance.now() >= deadline) {
      return busy.map(({ itemId, until }) => ({ itemId, until }));
    }
    await sleep(Math.min(pause, Math.max(0, deadline - performance.now())));
    pause *= 2;
    const again = new Map<string, Claim>();
    await Promise.all(
      busy.map(async ({ itemId, input }) => {
        again.set(itemId, await recheckItem(ctx, input));
      }),
    );
    await write(ownedOf(again.values()));
    for (const [itemId, claim] of again) claims.set(itemId, claim);
  }
}

/**
 * Ingests a validated batch; one final status per item, in order, only when every item is
 * stored. Throws `IngestNotConfirmedError` when some item is another writer's put that may still
 * land (after writing everything this request writes). Items of one batch run concurrently.
 */
async function ingestItems(
  ctx: StoreContext,
  items: readonly ItemInput[],
  hooks: IngestHooks = {},
): Promise<IngestStatus[]> {
  // The same id twice in one batch: the first occurrence claims, later ones are re-posts of it.
  const first = firstOccurrences(items);
  const write = async (owned: readonly Owned[]): Promise<void> => {
    if (owned.length > 0) await writeFeed(ctx, owned, hooks);
  };
  const claims = await claimAll(ctx, first);
  await write(ownedOf(claims.values()));
  const busy = await waitOutBusy(ctx, first, claims, write);
  if (busy.length > 0) {
    const until = Math.max(...busy.map((entry) => entry.until));
    throw new IngestNotConfirmedError(
      busy.map((entry) => entry.itemId),
      until - ctx.now(),
    );
  }
  return items.map((item, position): IngestStatus => {
    const claim = claims.get(item.item_id);
    if (claim?.kind !== 'final') throw new Error('unreachable: every item was claimed');
    if (first.get(item.item_id)?.position === position) return claim.status;
    return contentHash(item) === claim.storedHash ? 'duplicate' : 'conflict';
  });
}

export type { IngestHooks, IngestStatus };
export { contentHash, IngestNotConfirmedError, ingestItems };
