/**
 * Each event's id, item after item: the position right after the item, as text (cursor.ts).
 */
import {
  compareEntries,
  type CursorEntry,
  type Delivered,
  encodeCursor,
  type EventId,
  type FeedCursor,
  itemHash,
  MAX_ENTRIES,
} from './cursor.ts';

/**
 * The ids of the positions right after each item of one read, in feed order: each `new_item`'s
 * id. Each covers its item, and its watermark stays below the items that follow (at most
 * `arrivalMs − 1`), so that resuming from it reads them again. An item of a settled stamp is
 * covered by naming its id (the read saw all of that stamp up to it); an unsettled one is listed.
 *
 * Built item by item in constant time: advancing a whole cursor per item would cost the settle
 * window's items each time. Keeps only what an id can hold, the newest MAX_ENTRIES entries (see
 * `encodeCursor` for what resuming from a shortened id costs).
 */
class PositionIds {
  #watermark: number;
  #throughId: string | undefined;
  readonly #settledMs: number;
  /** The newest entries, in wire order, at most MAX_ENTRIES. */
  readonly #newest: CursorEntry[];

  constructor(from: FeedCursor, readAtMs: number, settleMs: number) {
    this.#watermark = from.watermark;
    this.#throughId = from.throughId;
    this.#settledMs = readAtMs - settleMs;
    this.#newest = from.entries.slice(-MAX_ENTRIES);
  }

  /** The id right after `item`, the read's next delivered item (not covered by the position so far). */
  after(item: Delivered): EventId {
    const watermark = Math.max(this.#watermark, Math.min(this.#settledMs, item.arrivalMs - 1));
    if (item.arrivalMs <= this.#settledMs) this.#throughId = item.itemId;
    else {
      if (watermark !== this.#watermark) this.#throughId = undefined;
      keepNewest(this.#newest, { arrivalMs: item.arrivalMs, hash: itemHash(item.itemId) });
    }
    this.#watermark = watermark;
    const entries = this.#newest.filter((entry) => entry.arrivalMs > watermark);
    const throughId = this.#throughId;
    return encodeCursor({ watermark, ...(throughId === undefined ? {} : { throughId }), entries });
  }
}

/** Inserts `entry` in wire order, dropping the oldest when more than MAX_ENTRIES. */
function keepNewest(newest: CursorEntry[], entry: CursorEntry): void {
  let at = newest.length;
  while (at > 0 && compareEntries(newest[at - 1] ?? entry, entry) > 0) at -= 1;
  if (newest.length === MAX_ENTRIES && at === 0) return;
  newest.splice(at, 0, entry);
  if (newest.length > MAX_ENTRIES) newest.shift();
}

export { PositionIds };
