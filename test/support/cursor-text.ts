/** What of a cursor its text carries: in memory an entry may also hold its item's id. */
import type { FeedCursor } from '../../src/feed/cursor.ts';

function asText(cursor: FeedCursor): FeedCursor {
  return {
    watermark: cursor.watermark,
    ...(cursor.throughId === undefined ? {} : { throughId: cursor.throughId }),
    entries: cursor.entries.map(({ arrivalMs, hash }) => ({ arrivalMs, hash })),
  };
}

export { asText };
