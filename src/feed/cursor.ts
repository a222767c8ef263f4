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
 * A cursor lists at most MAX_ENTRIES items. Past that, W rises over the oldest ones, up to the
 * stamp of the newest to go; W stops just below that stamp (a large batch is stamped in one
 * millisecond, and more of it may come) and the cursor names the last item id delivered at
 * W + 1 instead: items of a stamp are delivered in id order (the feed's sort key), so that one
 * id covers them (`overflow`, with what it still risks).
 *
 * Wire format (only `[A-Za-z0-9._~-]`, so it can never break SSE framing):
 *   1.<W base36>[_<base64url of the last id delivered at W + 1>]
 *     [.<stamp − W, base36>~<8-char base64url hash of item id>]…[.~<serial base36>]
 *
 * The serial tells apart events at the same position (a batch's ticker updates and metrics, a
 * heartbeat): every SSE event has an id of its own (`serialId`). It names no position, so
 * parsing ignores it: resuming from any id resumes from its position.
 */
import { createHash } from 'node:crypto';

const VERSION = '1';

declare const eventIdBrand: unique symbol;
/**
 * A cursor as text: an SSE event id, a REST `cursor`. Only this module makes one (encodeCursor,
 * serialId), so an id that is not a cursor, an empty one say, does not compile.
 */
type EventId = string & { readonly [eventIdBrand]: true };
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
  /**
   * Every item stamped `watermark + 1` with an id at or below this one (code-unit order, as the
   * feed sorts them) has been delivered too; absent when the cursor says nothing of that stamp.
   */
  readonly throughId?: string;
  /** Items stamped after the watermark that have been delivered, oldest first. */
  readonly entries: readonly CursorEntry[];
}

/** What an item id may be (the contract's ItemId): the only ids a cursor can name. */
const ITEM_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Entry order on the wire: by stamp, then hash (code-unit order, as the canonical check expects). */
const compareEntries = (a: CursorEntry, b: CursorEntry): number =>
  a.arrivalMs - b.arrivalMs || (a.hash < b.hash ? -1 : a.hash > b.hash ? 1 : 0);

/** Short, stable fingerprint of an item id: 48 bits, ample for the few items of a settle window. */
const itemHash = (itemId: string): string => createHash('sha256').update(itemId).digest('base64url').slice(0, 8);

function encodeCursor(cursor: FeedCursor): EventId {
  const through = cursor.throughId === undefined ? '' : `_${Buffer.from(cursor.throughId).toString('base64url')}`;
  const parts = [VERSION, `${cursor.watermark.toString(36)}${through}`];
  for (const entry of cursor.entries) parts.push(`${(entry.arrivalMs - cursor.watermark).toString(36)}~${entry.hash}`);
  return parts.join('.') as EventId;
}

/** Marks the serial part: no position part starts with it. */
const SERIAL_MARK = '.~';

/**
 * The id of an event at `id`'s position with `serial` (a positive integer) of its own: the same
 * position on resume, and a different id for each serial.
 */
function serialId(id: EventId, serial: number): EventId {
  const mark = id.indexOf(SERIAL_MARK);
  return `${mark < 0 ? id : id.slice(0, mark)}${SERIAL_MARK}${serial.toString(36)}` as EventId;
}

/**
 * The whole grammar in one anchored pattern, checked (after the length cap) before any number is
 * parsed. It cannot backtrack badly: every repetition starts with a `.` and has a fixed-width tail.
 */
const SHAPE = new RegExp(
  `^${VERSION}\\.[0-9a-z]{1,12}(?:_[A-Za-z0-9_-]{2,171})?(?:\\.[0-9a-z]{1,12}~[A-Za-z0-9_-]{8}){0,${MAX_ENTRIES}}(?:\\.~[1-9a-z][0-9a-z]{0,11})?$`,
);
/** Longest text worth looking at; the contract allows 1024 and no cursor we write comes near. */
const MAX_CURSOR_LENGTH = 1024;

/**
 * How far in the future (by this process's clock) a cursor position may lie: other instances'
 * clocks may run ahead a little. Anything further was not written by us.
 */
const MAX_CLOCK_SKEW_MS = 60_000;

/**
 * The cursor encoded in `text`, or null when it is not one we could have written (never throws:
 * ids are client input). Only the canonical form is accepted: entries above the watermark, in stamp
 * order, distinct, numbers without leading zeros, so `encodeCursor(decodeCursor(t)) === t` for
 * `t` without a serial. A serial (canonical too) is allowed and ignored.
 */
function decodeCursor(text: string): FeedCursor | null {
  if (text.length > MAX_CURSOR_LENGTH || !SHAPE.test(text)) return null;
  const mark = text.indexOf(SERIAL_MARK);
  const position = mark < 0 ? text : text.slice(0, mark);
  const [, head = '', ...rest] = position.split('.');
  const [watermarkText = '', throughText] = head.split('_');
  const watermark = parseInt(watermarkText, 36);
  if (!Number.isSafeInteger(watermark)) return null;
  const throughId = throughText === undefined ? undefined : Buffer.from(throughText, 'base64url').toString('latin1');
  if (throughId !== undefined && !ITEM_ID.test(throughId)) return null;
  const entries: CursorEntry[] = [];
  const hashes = new Set<string>();
  for (const part of rest) {
    const [delta = '', hash = ''] = part.split('~');
    const arrivalMs = watermark + parseInt(delta, 36);
    const previous = entries.at(-1)?.arrivalMs ?? watermark;
    // Ties in stamp may come in either hash order: cursors written before the order was fixed.
    if (!Number.isSafeInteger(arrivalMs) || arrivalMs <= watermark || arrivalMs < previous || hashes.has(hash))
      return null;
    hashes.add(hash);
    entries.push({ arrivalMs, hash });
  }
  const cursor: FeedCursor = { watermark, ...(throughId === undefined ? {} : { throughId }), entries };
  return encodeCursor(cursor) === position ? cursor : null;
}

/** Outcome of reading a client-supplied cursor. */
type CursorParse =
  { readonly ok: true; readonly cursor: FeedCursor } | { readonly ok: false; readonly reason: 'malformed' | 'expired' };

/**
 * A client-supplied cursor, checked against the clock before it may drive a read: a watermark
 * older than the retention is expired; any position beyond `now` plus the clock skew is
 * malformed (no instance wrote it). Together with the per-read query budget (feed.ts) this bounds
 * what any cursor can cost, so cursors need no signature (docs/security.md).
 */
function checkCursor(text: string, nowMs: number, retentionMs: number): CursorParse {
  const cursor = decodeCursor(text);
  if (cursor === null) return { ok: false, reason: 'malformed' };
  const latest = cursor.entries.at(-1)?.arrivalMs ?? cursor.watermark + (cursor.throughId === undefined ? 0 : 1);
  if (latest > nowMs + MAX_CLOCK_SKEW_MS) return { ok: false, reason: 'malformed' };
  if (cursor.watermark < nowMs - retentionMs) return { ok: false, reason: 'expired' };
  return { ok: true, cursor };
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
  const watermark = Math.max(cursor.watermark, Math.min(readAtMs - settleMs, readUpToMs));
  const byHash = new Map(cursor.entries.map((entry) => [entry.hash, entry]));
  for (const item of items)
    byHash.set(itemHash(item.itemId), { arrivalMs: item.arrivalMs, hash: itemHash(item.itemId) });
  const entries = [...byHash.values()].filter((entry) => entry.arrivalMs > watermark).sort(compareEntries);
  const advanced = {
    watermark,
    // The id names items of the stamp right above the watermark: it means nothing once W moved.
    ...(watermark === cursor.watermark && cursor.throughId !== undefined ? { throughId: cursor.throughId } : {}),
    entries,
  };
  const cut = entries[entries.length - MAX_ENTRIES - 1];
  return cut === undefined ? advanced : overflow(advanced, cut.arrivalMs, items);
}

/**
 * Under a burst the entries would outgrow the id: the watermark rises over the oldest ones, up to
 * the stamp `cutMs` of the newest entry to go. That stamp lies above the settled edge (every
 * entry does), so more of its items may still come: the read stopped inside it, or they are
 * still being written. Covering it whole would skip them. So the watermark stops just below it,
 * and the last id this read delivered there stands for this read's items of it: a read
 * delivers a stamp's items in id order, and an ingest writes them in id order too
 * (ingest-feed.ts). Entries of that stamp from earlier reads stay listed, so none is delivered
 * twice. Stamps below it, and it when this read delivered none of it, are covered whole: an
 * item of them that lands after this read is skipped (overlapping batches, a put of a
 * BatchWrite visible after its neighbours). A known loss beyond MAX_ENTRIES items in one settle
 * window, still open (docs/data-model.md, "Known loss, still open").
 */
function overflow(cursor: FeedCursor, cutMs: number, items: readonly Delivered[]): FeedCursor {
  // The fallback when no id can stand for the stamp: the risk described above, for all of it.
  const coverWhole = (): FeedCursor => ({
    watermark: cutMs,
    entries: cursor.entries.filter((entry) => entry.arrivalMs > cutMs),
  });
  const mine = items.filter((item) => item.arrivalMs === cutMs);
  const lastId = maxId(mine);
  if (lastId === undefined) return coverWhole();
  const delivered = new Set(mine.map((item) => itemHash(item.itemId)));
  const entries = cursor.entries.filter(
    (entry) => entry.arrivalMs > cutMs || (entry.arrivalMs === cutMs && !delivered.has(entry.hash)),
  );
  if (entries.length > MAX_ENTRIES) return coverWhole();
  const earlier = cursor.watermark === cutMs - 1 ? cursor.throughId : undefined;
  const throughId = earlier !== undefined && earlier > lastId ? earlier : lastId;
  return { watermark: cutMs - 1, throughId, entries };
}

const maxId = (items: readonly Delivered[]): string | undefined =>
  items.reduce<string | undefined>(
    (max, item) => (max === undefined || item.itemId > max ? item.itemId : max),
    undefined,
  );

/** Whether an item is already covered by the cursor (at or below the watermark, through the id, or listed). */
function cursorCovers(cursor: FeedCursor, item: Delivered): boolean {
  if (item.arrivalMs <= cursor.watermark) return true;
  const { throughId } = cursor;
  if (throughId !== undefined && item.arrivalMs === cursor.watermark + 1 && item.itemId <= throughId) return true;
  const hash = itemHash(item.itemId);
  return cursor.entries.some((entry) => entry.hash === hash && entry.arrivalMs === item.arrivalMs);
}

export type { CursorEntry, CursorParse, Delivered, EventId, FeedCursor };
export {
  advanceCursor,
  checkCursor,
  cursorCovers,
  decodeCursor,
  encodeCursor,
  itemHash,
  MAX_CLOCK_SKEW_MS,
  MAX_CURSOR_LENGTH,
  MAX_ENTRIES,
  serialId,
};
