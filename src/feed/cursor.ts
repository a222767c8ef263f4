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
 * A cursor in memory lists every item it delivered above W, however many; as text it lists at
 * most MAX_ENTRIES (`encodeCursor`: a text cut short repeats items on resume, never skips one).
 * A read that stops inside a settled stamp (a batch of 100 is stamped in one millisecond) names
 * the last item id it saw there instead of listing the stamp's items: every item of a settled
 * stamp is visible, and a read lists them in id order (`advanceCursor`). A client's REST cursor
 * must be exact as text, so such a read delivers at most what its text can list above the
 * settled edge (store/feed.ts, `readFrom`).
 *
 * Wire format (only `[A-Za-z0-9._~-]`, so it can never break SSE framing):
 *   2.<W base36>[_<base64url of the last id delivered at W + 1>]
 *     [.<stamp − W, base36>~<8-char base64url hash of item id>]…[.~<serial base36>]
 *
 * The serial tells apart events at the same position (a batch's ticker updates and metrics, a
 * heartbeat): every SSE event has an id of its own (`serialId`). It names no position, so
 * parsing ignores it: resuming from any id resumes from its position.
 */
import { createHash } from 'node:crypto';

/**
 * The format this version writes. Version 1 had the same grammar, but its id part could name a
 * stamp that had not settled; such an id is dropped when read (`decodeCursor`).
 */
const VERSION = '2';
/** The earlier format, still read: clients hold its ids across a deploy. */
const EARLIER_VERSION = '1';

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
  /**
   * The item's id, when this process delivered it: a cursor in memory tells items apart exactly,
   * whatever their hashes. A cursor read from text has only the hash.
   */
  readonly itemId?: string;
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

/** An entry as text tells it apart: its stamp and its hash. */
const entryKey = (arrivalMs: number, hash: string): string => `${arrivalMs.toString()}~${hash}`;

/** Short, stable fingerprint of an item id: 48 bits, ample for the few items of a settle window. */
const itemHash = (itemId: string): string => createHash('sha256').update(itemId).digest('base64url').slice(0, 8);

/**
 * The cursor as text. A cursor listing more than MAX_ENTRIES items (a process's own, after a
 * burst inside the settle window) is written with the newest MAX_ENTRIES: the text then claims
 * less than the cursor knows, so a client resuming from it gets the items of the dropped entries
 * a second time, and never misses one. (Claiming more, say by raising the watermark over them,
 * would skip any item of those stamps still to land.)
 */
function encodeCursor(cursor: FeedCursor): EventId {
  const through = cursor.throughId === undefined ? '' : `_${Buffer.from(cursor.throughId).toString('base64url')}`;
  const parts = [VERSION, `${cursor.watermark.toString(36)}${through}`];
  const listed = cursor.entries.length > MAX_ENTRIES ? cursor.entries.slice(-MAX_ENTRIES) : cursor.entries;
  let previous: CursorEntry | undefined;
  for (const entry of listed) {
    // Two items of one stamp whose hashes collide read the same as text: written once.
    if (previous?.arrivalMs === entry.arrivalMs && previous.hash === entry.hash) continue;
    parts.push(`${(entry.arrivalMs - cursor.watermark).toString(36)}~${entry.hash}`);
    previous = entry;
  }
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
  `^[${EARLIER_VERSION}${VERSION}]\\.[0-9a-z]{1,12}(?:_[A-Za-z0-9_-]{2,171})?(?:\\.[0-9a-z]{1,12}~[A-Za-z0-9_-]{8}){0,${MAX_ENTRIES}}(?:\\.~[1-9a-z][0-9a-z]{0,11})?$`,
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
 * `t` of this version without a serial. A serial (canonical too) is allowed and ignored. Text of
 * the earlier version is read too, without its id part.
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
  const listed = new Set<string>();
  for (const part of rest) {
    const [delta = '', hash = ''] = part.split('~');
    const arrivalMs = watermark + parseInt(delta, 36);
    const previous = entries.at(-1)?.arrivalMs ?? watermark;
    const key = entryKey(arrivalMs, hash);
    // Ties in stamp may come in either hash order: cursors written before the order was fixed.
    if (!Number.isSafeInteger(arrivalMs) || arrivalMs <= watermark || arrivalMs < previous || listed.has(key))
      return null;
    listed.add(key);
    entries.push({ arrivalMs, hash });
  }
  const cursor: FeedCursor = { watermark, ...(throughId === undefined ? {} : { throughId }), entries };
  // Canonical in either version: the same text after the version.
  if (encodeCursor(cursor).slice(VERSION.length) !== position.slice(VERSION.length)) return null;
  // A version-1 id may name a stamp that had not settled, with items still to land below it:
  // without it the cursor claims less (that stamp's items come again, none is skipped).
  return position.startsWith(EARLIER_VERSION) && throughId !== undefined ? { watermark, entries } : cursor;
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
 * Where a read that stopped early saw every row up to, in feed order: every row stamped below
 * `arrivalMs`, and of that stamp the rows up to `itemId` when given.
 */
interface ReadThrough {
  readonly arrivalMs: number;
  readonly itemId?: string;
}

/**
 * The cursor after delivering `items` from a read of the feed. Exact and unbounded: it lists
 * every delivered item above the watermark, however many the settle window holds (a process
 * keeps it in memory; only its text is bounded, `encodeCursor`).
 *
 * @param readAtMs  when the read started: items stamped at or before `readAtMs − settleMs` are
 *                  assumed visible to it, so the watermark may move up to there.
 * @param through   when the read stopped early (a full page, a shard cut short), where it saw
 *                  every row up to (delivered or already covered). The watermark then stays
 *                  below that stamp; when the stamp is settled and an id is given, the cursor
 *                  names it (`throughId`), so that the next read goes on from there.
 */
function advanceCursor(
  cursor: FeedCursor,
  items: readonly Delivered[],
  readAtMs: number,
  settleMs: number,
  through?: ReadThrough,
): FeedCursor {
  const settledMs = readAtMs - settleMs;
  const upToMs = through === undefined ? Number.POSITIVE_INFINITY : through.arrivalMs - 1;
  const watermark = Math.max(cursor.watermark, Math.min(settledMs, upToMs));
  const throughId = throughIdAfter(cursor, watermark, settledMs, through);
  // By id where known, else by stamp and hash: items whose hashes collide stay apart.
  const byItem = new Map<string, CursorEntry>();
  const keyOf = (entry: CursorEntry): string => entry.itemId ?? entryKey(entry.arrivalMs, entry.hash);
  for (const entry of cursor.entries) if (entry.arrivalMs > watermark) byItem.set(keyOf(entry), entry);
  for (const item of items) {
    if (item.arrivalMs <= watermark || namedBy(throughId, watermark, item)) continue;
    byItem.set(item.itemId, { arrivalMs: item.arrivalMs, hash: itemHash(item.itemId), itemId: item.itemId });
  }
  const entries = [...byItem.values()].sort(compareEntries);
  return { watermark, ...(throughId === undefined ? {} : { throughId }), entries };
}

/**
 * The id that stands for stamp `watermark + 1` after a read: the row the read saw everything up
 * to, when it lies in that stamp and the stamp is settled (every item of it was visible to the
 * read, which listed them in id order, so every id up to that row's was delivered or covered);
 * else the cursor's own while the watermark stays. Never an id for an unsettled stamp: more of
 * its items may still land, below that id.
 */
function throughIdAfter(
  cursor: FeedCursor,
  watermark: number,
  settledMs: number,
  through: ReadThrough | undefined,
): string | undefined {
  const stamp = watermark + 1;
  if (through?.itemId !== undefined && through.arrivalMs === stamp && stamp <= settledMs) return through.itemId;
  return watermark === cursor.watermark ? cursor.throughId : undefined;
}

/** Whether `item` lies in stamp `watermark + 1` at or below the id that stands for it. */
const namedBy = (throughId: string | undefined, watermark: number, item: Delivered): boolean =>
  throughId !== undefined && item.arrivalMs === watermark + 1 && item.itemId <= throughId;

/**
 * Whether items are covered by the cursor: at or below the watermark, named by the id, or
 * listed. Built once per cursor, since a process's own cursor may list thousands of entries and
 * a read tests every row against it.
 */
function coverage(cursor: FeedCursor): (item: Delivered) => boolean {
  const { watermark, throughId } = cursor;
  const ids = new Set<string>();
  const hashStamps = new Set<number>();
  const hashes = new Set<string>();
  for (const entry of cursor.entries) {
    if (entry.itemId !== undefined) ids.add(entryKey(entry.arrivalMs, entry.itemId));
    else {
      hashStamps.add(entry.arrivalMs);
      hashes.add(entryKey(entry.arrivalMs, entry.hash));
    }
  }
  return (item) =>
    item.arrivalMs <= watermark ||
    namedBy(throughId, watermark, item) ||
    ids.has(entryKey(item.arrivalMs, item.itemId)) ||
    (hashStamps.has(item.arrivalMs) && hashes.has(entryKey(item.arrivalMs, itemHash(item.itemId))));
}

/** Whether one item is covered by the cursor (`coverage`, for a single test). */
const cursorCovers = (cursor: FeedCursor, item: Delivered): boolean => coverage(cursor)(item);

export type { CursorEntry, CursorParse, Delivered, EventId, FeedCursor, ReadThrough };
export {
  advanceCursor,
  checkCursor,
  compareEntries,
  coverage,
  cursorCovers,
  decodeCursor,
  encodeCursor,
  itemHash,
  MAX_CLOCK_SKEW_MS,
  MAX_CURSOR_LENGTH,
  MAX_ENTRIES,
  serialId,
};
