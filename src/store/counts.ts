/**
 * Sentiment counts: what every aggregate row holds per scope (all tickers, one ticker, one
 * 5-minute slot). Stored as a five-number list, `[total, positive, neutral, negative, score_sum]`,
 * the smallest form DynamoDB keeps for them (a row's size is its write cost).
 */
import type { Item } from '../contract/index.ts';
import { StoreDataError } from './decode.ts';

type Counts = [total: number, positive: number, neutral: number, negative: number, scoreSum: number];

const zeroCounts = (): Counts => [0, 0, 0, 0, 0];

const SENTIMENT_INDEX = { positive: 1, neutral: 2, negative: 3 } as const;

/** Adds one item to `into`. */
function countItem(into: Counts, item: Pick<Item, 'sentiment' | 'score'>): void {
  into[0] += 1;
  into[SENTIMENT_INDEX[item.sentiment]] += 1;
  into[4] += item.score;
}

/** Adds `from` (times `weight`) to `into`. */
function addCounts(into: Counts, from: Readonly<Counts>, weight = 1): void {
  for (let i = 0; i < 5; i++) (into[i] as number) += (from[i] as number) * weight;
}

/** The average score, rounded so float noise in the summed scores does not look like a change. */
const averageScore = (counts: Readonly<Counts>): number | null =>
  counts[0] === 0 ? null : Math.max(-1, Math.min(1, Math.round((counts[4] / counts[0]) * 1000) / 1000));

/** A stored five-number list back as counts; `row` names it in the error. */
function decodeCounts(value: unknown, row: string, what: string): Counts {
  if (
    !Array.isArray(value) ||
    value.length !== 5 ||
    !value.every((n): n is number => typeof n === 'number' && Number.isFinite(n))
  ) {
    throw new StoreDataError(row, `${what} is not five numbers`);
  }
  return [value[0], value[1], value[2], value[3], value[4]] as Counts;
}

export type { Counts };
export { addCounts, averageScore, countItem, decodeCounts, zeroCounts };
