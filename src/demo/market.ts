/**
 * A small model of a news-driven sentiment stream: each ticker has a slowly drifting mood, and
 * items are drawn around it. Used by the demo seed and the simulator so the dashboard shows
 * plausible, non-trivial numbers. Randomness is injectable so tests are repeatable.
 */
import type { ItemInput } from '../contract/index.ts';

const TICKERS = ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN', 'GOOGL', 'META', 'BRK.B'] as const;
const SOURCES = ['reuters', 'bloomberg', 'wsj', 'ft', 'cnbc', 'marketwatch', 'seekingalpha', 'x'] as const;
/** Relative news volume per ticker (some names are simply talked about more). */
const WEIGHTS = [18, 16, 17, 15, 11, 9, 8, 6];

type Random = () => number;

interface Market {
  /** The next item at `atMs`, with a unique id under `idPrefix`. */
  next(atMs: number): ItemInput;
}

function pick<T>(values: readonly T[], weights: readonly number[], random: Random): T {
  const total = weights.reduce((a, b) => a + b, 0);
  let r = random() * total;
  for (let i = 0; i < values.length; i++) {
    r -= weights[i] ?? 0;
    if (r <= 0) return values[i] as T;
  }
  return values[values.length - 1] as T;
}

function createMarket(idPrefix: string, random: Random = Math.random): Market {
  const mood = new Map<string, number>(TICKERS.map((t) => [t, (random() - 0.5) * 0.6]));
  let sequence = 0;
  return {
    next(atMs) {
      const ticker = pick(TICKERS, WEIGHTS, random);
      // Mean-reverting random walk, so moods wander but stay within (-1, 1).
      const drifted = (mood.get(ticker) ?? 0) * 0.98 + (random() - 0.5) * 0.08;
      mood.set(ticker, drifted);
      const score = Math.max(-1, Math.min(1, drifted + (random() - 0.5) * 0.9));
      const sentiment = score > 0.15 ? 'positive' : score < -0.15 ? 'negative' : 'neutral';
      const source = pick(SOURCES, [5, 5, 3, 3, 3, 2, 2, 4], random);
      sequence += 1;
      return {
        item_id: `${idPrefix}-${source}-${ticker.replace('.', '')}-${atMs.toString(36)}-${sequence}`,
        ticker,
        sentiment,
        score: Math.round(score * 1000) / 1000,
        // The article appeared a little before the pipeline scored it.
        timestamp: new Date(atMs - Math.floor(random() * 90_000) - 5_000).toISOString(),
        source,
      };
    },
  };
}

export type { Market, Random };
export { createMarket, TICKERS };
