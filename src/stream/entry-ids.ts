/**
 * The per-item id loop, shared by the poller and the replay: each event's id is the position
 * just after its item. It covers the item, and stays below the items that follow, so a client
 * resuming from any event id gets every item after it (feed/position-ids.ts).
 */
import type { CursorOps, EventId, FeedCursor, FeedEntry, FeedRead } from './ports.ts';

interface EntryWithId {
  readonly entry: FeedEntry;
  /** The id of the position right after this entry. */
  readonly id: EventId;
}

function* entryIds(cursors: CursorOps, from: FeedCursor, read: FeedRead): Generator<EntryWithId> {
  const ids = cursors.positionIds(from, read.readAt);
  for (const entry of read.entries)
    yield { entry, id: ids.after({ arrivalMs: entry.arrivalMs, itemId: entry.item.item_id }) };
}

export type { EntryWithId };
export { entryIds };
