/**
 * Feed cursors: the SSE event ids and REST `cursor` values. A cursor is a *settled watermark*
 * W plus the short hashes of items delivered above W:
 *
 *   "every item stamped at or before W has been delivered, and so have these few newer ones".
 *
 * Why not just "the last stamp seen": writes become visible out of order (two writers, one slow),
 * so a reader that moved past stamp T can still find an item stamped before T later. W trails
 * the read time by the settle window (FEED_SETTLE_MS), within which a stamped write is assumed to
 * have become visible; items newer than W are delivered at once and remembered by hash, so a
 * resumed reader re-reads everything after W and skips exactly what it already has. Delivery
 * is immediate; the cost is a cursor that grows with the items of the last settle window.
 *
 * Wire format (only `[A-Za-z0-9._~-]`, so it can never break SSE framing):
 *   1.<W base36>[.<stamp − W, base36>~<8-char base64url hash of item id>]…
 */
import { createHash } from 'node:crypto';

const VERSION = '1';
/** Keeps a cursor well under the contract's 1024 characters (each entry is at most ~16). */
const MAX_ENTRIES = 48;

interface CursorEntry {
  /** Arrival stamp of the item (epoch ms), always greater than the watermark. */
  readonly arrivalMs: number;
  readonly hash: string;
}

interface FeedCursor {
  /** Every item stamped at or before this instant (epoch ms) has been delivered. */
  readonly watermark: number;
  /** Items stamped after the watermark that have been delivered, oldest first. */
  readonly entries: readonly CursorEntry[];
}

/** Short, stable fingerprint of an item id: 48 bits, ample for the few items of a settle window. */
const itemHash = (itemId: string): string => createHash('sha256').update(itemId).digest('base64url').slice(0, 8);

function encodeCursor(cursor: FeedCursor): string {
  const parts = [VERSION, cursor.watermark.toString(36)];
  for (const entry of cursor.entries) parts.push(`${(entry.arrivalMs - cursor.watermark).toString(36)}~${entry.hash}`);
  return parts.join('.');
}

const BASE36 = /^[0-9a-z]{1,12}$/;
const HASH = /^[A-Za-z0-9_-]{8}$/;

/** The cursor encoded in `text`, or null when it is not one of ours (never throws: ids are client input). */
function decodeCursor(text: string): FeedCursor | null {
  if (text.length > 1024) return null;
  const [version, watermarkText, ...rest] = text.split('.');
  if (version !== VERSION || watermarkText === undefined || !BASE36.test(watermarkText)) return null;
  const watermark = parseInt(watermarkText, 36);
  if (!Number.isSafeInteger(watermark)) return null;
  const entries: CursorEntry[] = [];
  for (const part of rest) {
    const [delta, hash, extra] = part.split('~');
    if (delta === undefined || hash === undefined || extra !== undefined) return null;
    if (!BASE36.test(delta) || !HASH.test(hash)) return null;
    const offset = parseInt(delta, 36);
    if (offset <= 0) return null;
    entries.push({ arrivalMs: watermark + offset, hash });
  }
  if (entries.length > MAX_ENTRIES) return null;
  return { watermark, entries };
}

interface Delivered {
  readonly arrivalMs: number;
  readonly itemId: string;
}

/**
 * The cursor after delivering `items` from a read of the feed.
 *
 * @param readAtMs  when the read started: items stamped at or before `readAtMs − settleMs` are
 *                  assumed visible to it, so the watermark may move up to there.
 * @param readUpToMs when the read stopped early (a full page), the highest stamp it may vouch
 *                  for; the watermark never passes it.
 */
function advanceCursor(
  cursor: FeedCursor,
  items: readonly Delivered[],
  readAtMs: number,
  settleMs: number,
  readUpToMs = Number.POSITIVE_INFINITY,
): FeedCursor {
  let watermark = Math.max(cursor.watermark, Math.min(readAtMs - settleMs, readUpToMs));
  const byHash = new Map(cursor.entries.map((entry) => [entry.hash, entry]));
  for (const item of items)
    byHash.set(itemHash(item.itemId), { arrivalMs: item.arrivalMs, hash: itemHash(item.itemId) });
  let entries = [...byHash.values()].sort((a, b) => a.arrivalMs - b.arrivalMs || a.hash.localeCompare(b.hash));
  // Under a burst the list would outgrow the id; raise the watermark over the oldest entries.
  // An item stamped in that span and still invisible after it would be skipped on resume.
  if (entries.length > MAX_ENTRIES) {
    const cut = entries[entries.length - MAX_ENTRIES - 1];
    if (cut !== undefined) watermark = Math.max(watermark, cut.arrivalMs);
  }
  entries = entries.filter((entry) => entry.arrivalMs > watermark);
  return { watermark, entries };
}

/** Whether an item is already covered by the cursor (at or below the watermark, or listed). */
function cursorCovers(cursor: FeedCursor, item: Delivered): boolean {
  if (item.arrivalMs <= cursor.watermark) return true;
  const hash = itemHash(item.itemId);
  return cursor.entries.some((entry) => entry.hash === hash && entry.arrivalMs === item.arrivalMs);
}

export type { CursorEntry, Delivered, FeedCursor };
export { advanceCursor, cursorCovers, decodeCursor, encodeCursor, itemHash, MAX_ENTRIES };
