/**
 * The lease is the fence between owners of an item: an owner stops writing a third of the lease
 * before it ends (`IngestNotConfirmedError`, `timeout`), so a resumer, which takes over only after
 * the end, never meets a live owner's writes unless one write stays in flight for that third of
 * the lease.
 */
import type { StoreContext } from './context.ts';
import { IngestNotConfirmedError, type Owned } from './ingest-model.ts';

/** How long an owner may take to finish an item before a retry may take over (default). */
const LEASE_MS = 30_000;

/**
 * Throws before a write that could land after this request's lease: a third of the lease is
 * kept free, for the write in flight and for clock skew between instances.
 */
function fence(ctx: StoreContext, owned: readonly Owned[]): () => void {
  const leaseEnd = Math.min(...owned.map(({ marker }) => marker.lease_until));
  const deadline = leaseEnd - ctx.ingestLeaseMs / 3;
  return () => {
    const now = ctx.now();
    if (now < deadline) return;
    const ids = owned.map(({ marker }) => marker.item.item_id);
    throw new IngestNotConfirmedError('timeout', ids, leaseEnd - now);
  };
}

export { fence, LEASE_MS };
