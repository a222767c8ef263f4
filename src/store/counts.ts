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

/** A copy of `counts` to add to. */
const copyCounts = (counts: Readonly<Counts>): Counts => [counts[0], counts[1], counts[2], counts[3], counts[4]];

/** Adds `from` (times `weight`) to `into`. */
function addCounts(into: Counts, from: Readonly<Counts>, weight = 1): void {
  into[0] += from[0] * weight;
  into[1] += from[1] * weight;
  into[2] += from[2] * weight;
  into[3] += from[3] * weight;
  into[4] += from[4] * weight;
}

/** The average score, rounded so float noise in the summed scores does not look like a change. */
const averageScore = (counts: Readonly<Counts>): number | null =>
  counts[0] === 0 ? null : Math.max(-1, Math.min(1, Math.round((counts[4] / counts[0]) * 1000) / 1000));

const isFiniteNumber = (n: unknown): n is number => typeof n === 'number' && Number.isFinite(n);

/** A stored five-number list back as counts; `row` names it in the error. */
function decodeCounts(value: unknown, row: string, what: string): Counts {
  if (Array.isArray(value) && value.length === 5) {
    const numbers: readonly unknown[] = value;
    const [total, positive, neutral, negative, scoreSum] = numbers;
    if (
      isFiniteNumber(total) &&
      isFiniteNumber(positive) &&
      isFiniteNumber(neutral) &&
      isFiniteNumber(negative) &&
      isFiniteNumber(scoreSum)
    ) {
      return [total, positive, neutral, negative, scoreSum];
    }
  }
  throw new StoreDataError(row, `${what} is not five numbers`);
}

export type { Counts };
export { addCounts, averageScore, copyCounts, countItem, decodeCounts, zeroCounts };
