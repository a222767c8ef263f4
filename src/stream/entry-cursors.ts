/**
 * The per-item cursor loop, shared by the poller and the replay: each event's id is the cursor
 * just after its item. It lists the item, and its watermark stays below the items that follow
 * (`arrivalMs − 1`: the same settle rule as the read's own cursor), so a client resuming from
 * any event id gets exactly the items after it.
 */
import type { CursorOps, FeedCursor, FeedEntry, FeedRead } from './ports.ts';

interface EntryWithCursor {
  readonly entry: FeedEntry;
  /** The cursor right after this entry (not encoded: the replay encodes only what it sends). */
  readonly cursor: FeedCursor;
}

function* entryCursors(cursors: CursorOps, from: FeedCursor, read: FeedRead): Generator<EntryWithCursor> {
  let cursor = from;
  for (const entry of read.entries) {
    const delivered = [{ arrivalMs: entry.arrivalMs, itemId: entry.item.item_id }];
    cursor = cursors.advanceCursor(cursor, delivered, read.readAt, entry.arrivalMs - 1);
    yield { entry, cursor };
  }
}

export type { EntryWithCursor };
export { entryCursors };
