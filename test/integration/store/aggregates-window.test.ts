/**
 * The aggregates' edges (src/store/aggregates.ts through the store's view), on a real dynalite
 * with a controlled clock: an item counts while its arrival hour is one of the window's 24, and
 * stops counting when that hour leaves it, although the view still holds it unfolded (the fold
 * horizon reaches an hour further back); and a snapshot names at most MAX_SNAPSHOT_TICKERS
 * tickers, the most active ones, ties going to the first symbol, while `tickers` lists them all.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MAX_SNAPSHOT_TICKERS } from '../../../src/store/index.ts';
import { HOUR_MS } from '../../../src/store/keys.ts';
import { itemInput, startTestStore, type TestStore } from '../../support/test-store.ts';

let t: TestStore;
beforeEach(async () => {
  t = await startTestStore();
});
afterEach(async () => {
  await t.close();
});

describe('the 24-hour window', () => {
  it('counts an unfolded item while its arrival hour is in the window, and not once that hour has left it', async () => {
    // 09:30: the items arrive in the 09:00 hour.
    await t.store.ingest([itemInput({ ticker: 'OLD' }), itemInput({ ticker: 'OLD' })]);

    // 08:30 the next day: the window's first hour is 09:00 the day before.
    t.advance(23 * HOUR_MS);
    const last = await t.store.aggregates();
    // 09:30 the next day: the window starts at 10:00 the day before.
    t.advance(HOUR_MS);
    const gone = await t.store.aggregates();

    expect(last.metrics).toMatchObject({ total: 2, rate_last_24h: 2, by_tag: { OLD: 2 } });
    expect(last.tickers.map((aggregate) => aggregate.ticker)).toEqual(['OLD']);
    expect(gone.metrics).toMatchObject({ total: 0, rate_last_24h: 0, by_tag: {} });
    expect(gone.tickers).toEqual([]);
    expect((await t.store.foldState()).w).toBeUndefined();
  });
});

describe('a snapshot of more tickers than it names', () => {
  it('names the most active, ties by symbol, and lists every ticker in tickers', async () => {
    // Half again as many tickers as a snapshot names, with one, two or three items each.
    const counts = new Map(
      Array.from({ length: MAX_SNAPSHOT_TICKERS * 1.5 }, (_, i) => [
        `S${i.toString().padStart(3, '0')}`,
        1 + ((i * 7) % 3),
      ]),
    );
    const items = [...counts].flatMap(([ticker, count]) => Array.from({ length: count }, () => itemInput({ ticker })));
    for (let i = 0; i < items.length; i += 25) await t.store.ingest(items.slice(i, i + 25));

    const { metrics, tickers, topTickers } = await t.store.aggregates();

    const symbols = [...counts.keys()];
    const named = [...counts]
      .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1))
      .slice(0, MAX_SNAPSHOT_TICKERS)
      .map(([ticker]) => ticker)
      .sort();
    // The cut falls among tickers of equal counts: it keeps the first symbols.
    expect(new Set(named.map((ticker) => counts.get(ticker))).size).toBeGreaterThan(1);
    expect(Object.keys(metrics.by_tag)).toEqual(named);
    expect(topTickers.map((aggregate) => aggregate.ticker)).toEqual(named);
    expect(Object.entries(metrics.by_tag).every(([ticker, total]) => total === counts.get(ticker))).toBe(true);
    expect(tickers.map((aggregate) => aggregate.ticker)).toEqual(symbols);
    expect(metrics.total).toBe(items.length);
    // The snapshot's entries are the very objects of the full list.
    expect(topTickers.every((aggregate) => tickers.includes(aggregate))).toBe(true);
  });
});
