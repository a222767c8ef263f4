/**
 * Batches of valid items spread evenly over a set of tickers, with mixed sentiments and exact
 * binary scores (so sums compare to the unit): what the capacity, burst, fleet and Lambda tests
 * post. Each call returns new ids.
 */
import type { ItemInput } from '../../src/contract/index.ts';

const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;

/** `count` distinct tickers of two to four letters: `prefix` and a letter. */
const tickersOf = (prefix: string, count: number): string[] =>
  Array.from({ length: count }, (_, i) => `${prefix}${String.fromCharCode(65 + i)}`);

interface BatchMaker {
  /** `size` new items, published now (or at `timestamp`), the next tickers in turn. */
  (size: number, timestamp?: string): ItemInput[];
}

/**
 * @param idPrefix what every id starts with; ids are padded to `idLength` (the contract allows
 *                 128, the largest rows cost the most)
 */
function batchMaker(idPrefix: string, tickers: readonly string[], idLength?: number): BatchMaker {
  let sequence = 0;
  return (size, timestamp = new Date().toISOString()) =>
    Array.from({ length: size }, () => {
      sequence += 1;
      const id = `${idPrefix}-${sequence}`;
      return {
        item_id: idLength === undefined ? id : `${id}-`.padEnd(idLength, 'x'),
        ticker: tickers[sequence % tickers.length] as string,
        sentiment: SENTIMENTS[sequence % 3] as (typeof SENTIMENTS)[number],
        score: ((sequence % 8) - 4) / 8,
        timestamp,
      };
    });
}

export type { BatchMaker };
export { batchMaker, tickersOf };
