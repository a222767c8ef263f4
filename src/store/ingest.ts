/**
 * Idempotent ingest without transactions (dynalite has none): conditional writes only.
 *
 * Per item, in this order:
 * 1. **Marker** `ITEM#<id>`: put only if absent. It holds the arrival stamp (feed position,
 *    counter hour, `ingested_at`), a content hash (to tell a re-post from a conflicting one), the
 *    item itself, a state (`pending` → `done`) and a lease. The request that creates it owns the
 *    item (ingest-claim.ts).
 * 2. **Feed entry** at the marker's position: an idempotent put (same key, same content). Once
 *    it is sent, the stamp is final (ingest-feed.ts).
 * 3. **Counters** (hour × all, hour × ticker): `ADD` guarded by `attribute_not_exists(p_<id>)`,
 *    a pending attribute set in the same update. A second attempt at the same counter fails
 *    its condition instead of counting twice (ingest-counters.ts).
 * 4. Marker `done`, then the pending attributes are removed (they only matter while pending).
 *
 * Steps 2-4 run once per batch for all the items it owns (see `complete`).
 *
 * Readers trust a stamp to become visible within the settle window (`settleMs`, src/stream/cursor.ts).
 * So a feed entry is only ever sent at a stamp younger than half that window: an item whose stamp
 * aged past it before its feed put leaves (slow claims in the batch, throttling retries, a
 * takeover) is re-stamped first, and counted in the hour of its final stamp (ingest-stamps.ts).
 * What remains assumed: the re-stamp and the put, once sent, land within the other half (minus
 * clock skew).
 *
 * The answer is honest: statuses come back only when every item of the batch is stored and
 * counted. A `done` marker is a duplicate (or a conflict if the content differs). A `pending`
 * marker whose lease still runs is someone else's unfinished work that this request cannot
 * confirm: the request finishes the items it owns and then throws `IngestNotConfirmedError`
 * (`in-progress`, with the time the lease ends). A `pending` marker whose lease ran out belongs to
 * an owner that died mid-way: the request claims the lease with a conditional update and finishes
 * steps 2-4 from the item stored in the marker; the guards make step 3 count each counter exactly
 * once whoever gets there first.
 *
 * The lease is the fence between owners. An owner stops writing a third of the lease before it
 * ends (`IngestNotConfirmedError`, `timeout`), so a resumer, which takes over only after the end,
 * never meets a live owner's writes unless one write stays in flight for that third of the lease
 * (ingest-lease.ts).
 *
 * This module runs the steps in order; the others each do one of them. It is the ingest's one
 * door: what callers need of the others is exported from here.
 */
import type { ItemInput } from '../contract/index.ts';
import { batchPut } from './batch-write.ts';
import type { StoreContext } from './context.ts';
import { type Claim, claimItem } from './ingest-claim.ts';
import { clearPending, counterGroups, countOnce } from './ingest-counters.ts';
import { writeFeed } from './ingest-feed.ts';
import { fence, LEASE_MS } from './ingest-lease.ts';
import { contentHash, IngestNotConfirmedError, type IngestStatus, type Owned } from './ingest-model.ts';
import { ttlSeconds } from './keys.ts';

/**
 * Steps 2-4 for items this request owns, batched: feed entries and `done` markers as
 * BatchWrites, one guarded ADD per counter for the whole batch. A counter whose guard fails
 * (a previous owner got there for one of the items) is retried item by item, so each item is
 * counted there exactly once.
 *
 * The `done` markers are plain puts: no one else can hold these items' leases before they end,
 * and the fence stops this request from writing that late.
 */
async function complete(ctx: StoreContext, owned: readonly Owned[]): Promise<void> {
  if (owned.length === 0) return;
  const check = fence(ctx, owned);
  await writeFeed(ctx, owned, check);
  // From here on every stamp is final: counters and `done` markers use it.
  const counters = counterGroups(ctx, owned);
  await countOnce(ctx, counters, check);
  await batchPut(
    ctx,
    owned.map(({ marker }) => {
      const { lease_until: _lease, ...rest } = marker;
      return { ...rest, state: 'done', ttl: ttlSeconds(marker.arrival_ms + ctx.retentionMs) };
    }),
    check,
  );
  // Pending attributes only matter until the markers say `done`. A crash before this leaves
  // them behind: harmless (no one counts a `done` item again), and they expire with the counter.
  await clearPending(ctx, counters);
}

/**
 * Ingests a validated batch; one final status per item, in order, only when every item is stored
 * and counted. Throws `IngestNotConfirmedError` when some item is another request's unfinished
 * work (after finishing everything this request owns) or when this request ran out of its lease.
 * Items of one batch run concurrently.
 */
async function ingestItems(ctx: StoreContext, items: readonly ItemInput[]): Promise<IngestStatus[]> {
  // The same id twice in one batch: the first occurrence claims, later ones are re-posts of it.
  const firstAt = new Map<string, number>();
  items.forEach((item, position) => {
    if (!firstAt.has(item.item_id)) firstAt.set(item.item_id, position);
  });
  const claims = new Map<string, Claim>();
  await Promise.all(
    [...firstAt].map(async ([itemId, position]) => {
      claims.set(itemId, await claimItem(ctx, items[position] as ItemInput));
    }),
  );
  await complete(
    ctx,
    [...claims.values()].flatMap((claim) => (claim.kind === 'final' && claim.owned ? [claim.owned] : [])),
  );
  // In batch order, so the answer names them the way the client sent them.
  const busy = [...firstAt.keys()].flatMap((itemId) => {
    const claim = claims.get(itemId);
    return claim?.kind === 'busy' ? [{ itemId, leaseUntil: claim.leaseUntil }] : [];
  });
  if (busy.length > 0) {
    const until = Math.max(...busy.map(({ leaseUntil }) => leaseUntil));
    throw new IngestNotConfirmedError(
      'in-progress',
      busy.map(({ itemId }) => itemId),
      until - ctx.now(),
    );
  }
  return items.map((item, position): IngestStatus => {
    const claim = claims.get(item.item_id);
    if (claim?.kind !== 'final') throw new Error('unreachable: every item was claimed');
    if (firstAt.get(item.item_id) === position) return claim.status;
    return contentHash(item) === claim.storedHash ? 'duplicate' : 'conflict';
  });
}

export type { IngestStatus };
export { contentHash, IngestNotConfirmedError, ingestItems, LEASE_MS };
