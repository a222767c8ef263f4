/**
 * The items the benchmark publishes. Both servers get the same item shape, so the floor's frames
 * are about as large as tickerpulse's and the CPU ratio compares like with like.
 */

/** One item as `POST /api/v2/items` accepts it (and the floor echoes it). */
interface BenchItem {
  readonly item_id: string;
  readonly ticker: string;
  readonly sentiment: 'positive' | 'neutral' | 'negative';
  readonly score: number;
  readonly timestamp: string;
}

const TICKERS = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN'] as const;
const SENTIMENTS = ['positive', 'neutral', 'negative'] as const;

/** Ids unique to this run, so items left from an earlier run or the demo seed never match. */
function benchItemIds(count: number, runTag: string): string[] {
  return Array.from({ length: count }, (_, i) => `bench-${runTag}-${i}`);
}

/** The `i`-th item of a run, stamped now. */
function benchItem(itemId: string, i: number): BenchItem {
  return {
    item_id: itemId,
    ticker: TICKERS[i % TICKERS.length] ?? 'AAPL',
    sentiment: SENTIMENTS[i % SENTIMENTS.length] ?? 'neutral',
    score: ((i % 21) - 10) / 10,
    timestamp: new Date().toISOString(),
  };
}

export type { BenchItem };
export { benchItem, benchItemIds };
