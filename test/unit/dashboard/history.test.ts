/**
 * Sentiment over time in the dashboard, without a browser: what src/dashboard/contract.js accepts
 * from GET /api/v2/metrics/history (the spec's own examples, and garbage), and what
 * src/dashboard/history-data.js makes of it for the chart and its text alternative. Both files have
 * no DOM, so Node imports the very files the browser loads.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

interface Bucket {
  readonly start: string;
  readonly total: number;
  readonly positive: number;
  readonly neutral: number;
  readonly negative: number;
  readonly average_score: number | null;
}
interface ShownBucket extends Bucket {
  readonly startMs: number;
}
interface ShownHistory {
  readonly bucket: '5m' | '1h';
  readonly buckets: readonly ShownBucket[];
}

/** What this test uses of the two files (plain JavaScript: tsconfig does not check them). */
interface DashboardHistory {
  readonly BUCKET_SIZES: ReadonlySet<unknown>;
  readonly validHistory: (value: unknown) => ShownHistory | undefined;
  readonly stackedColumns: (buckets: readonly ShownBucket[]) => [number[], number[], number[], number[]];
  readonly summaryText: (history: ShownHistory, subject: string) => string;
  readonly tableRows: (history: ShownHistory) => string[][];
}

const moduleUrl = (name: string) =>
  pathToFileURL(fileURLToPath(new URL(`../../../src/dashboard/${name}`, import.meta.url))).href;
const dashboard = {
  ...((await import(moduleUrl('contract.js'))) as object),
  ...((await import(moduleUrl('history-data.js'))) as object),
} as DashboardHistory;

const specFile = (path: string): unknown =>
  parse(readFileSync(new URL(`../../../specs/${path}`, import.meta.url), 'utf8'));

/** The 200 examples of GET /api/v2/metrics/history in specs/openapi.yaml. */
function specExamples(): Record<string, { value: unknown }> {
  const openapi = specFile('openapi.yaml') as {
    paths: Record<string, { get: { responses: Record<string, { content: Record<string, { examples: object }> }> } }>;
  };
  const ok = openapi.paths['/api/v2/metrics/history']?.get.responses['200'];
  return (ok?.content['application/json']?.examples ?? {}) as Record<string, { value: unknown }>;
}

const bucket = (start: string, counts: Partial<Bucket> = {}): Bucket => ({
  start,
  total: 3,
  positive: 1,
  neutral: 1,
  negative: 1,
  average_score: 0.1,
  ...counts,
});

describe('validHistory', () => {
  it('accepts every example of the spec as it is, oldest first', () => {
    const examples = Object.entries(specExamples());
    expect(examples.length).toBeGreaterThanOrEqual(2);
    for (const [name, { value }] of examples) {
      const sent = value as { bucket: string; buckets: Bucket[] };
      const shown = dashboard.validHistory(sent);
      expect(shown?.bucket, name).toBe(sent.bucket);
      expect(
        shown?.buckets.map(({ startMs: _startMs, ...rest }) => rest),
        name,
      ).toEqual(sent.buckets);
      expect(shown?.buckets.map((b) => b.startMs)).toEqual(sent.buckets.map((b) => Date.parse(b.start)));
    }
  });

  it('knows exactly the bucket sizes of specs/schemas/history-bucket-size.yaml', () => {
    const { enum: sizes } = specFile('schemas/history-bucket-size.yaml') as { enum: string[] };
    expect([...dashboard.BUCKET_SIZES].sort()).toEqual([...sizes].sort());
  });

  it('refuses what is not sentiment over time', () => {
    for (const garbage of [
      undefined,
      null,
      'text',
      [],
      { buckets: [] },
      { bucket: '1d', buckets: [] },
      { bucket: '1h', buckets: {} },
    ])
      expect(dashboard.validHistory(garbage), JSON.stringify(garbage)).toBeUndefined();
  });

  it('drops buckets with missing or garbage fields, sorts by start, keeps one per start', () => {
    const shown = dashboard.validHistory({
      bucket: '5m',
      buckets: [
        bucket('2026-11-21T09:10:00.000Z', { positive: 2 }),
        bucket('2026-11-21T09:00:00.000Z'),
        bucket('2026-11-21T09:05:00.000Z', { total: -1 }),
        bucket('not a time'),
        { ...bucket('2026-11-21T09:15:00.000Z'), negative: '1' },
        bucket('2026-11-21T09:10:00.000Z', { positive: 5 }),
        bucket('2026-11-21T09:20:00.000Z', { average_score: null, total: 0, positive: 0, neutral: 0, negative: 0 }),
        bucket('2026-11-21T09:25:00.000Z', { average_score: Number.NaN }),
        42,
      ],
    });
    expect(shown?.buckets.map((b) => [b.start.slice(11, 16), b.positive, b.average_score])).toEqual([
      ['09:00', 1, 0.1],
      ['09:10', 5, 0.1],
      ['09:20', 0, null],
      ['09:25', 1, null],
    ]);
  });
});

describe('the chart and its text', () => {
  const history = dashboard.validHistory({
    bucket: '1h',
    buckets: [
      bucket('2026-11-21T07:00:00.000Z', { total: 6, positive: 3, neutral: 2, negative: 1, average_score: 0.25 }),
      bucket('2026-11-21T08:00:00.000Z', { total: 0, positive: 0, neutral: 0, negative: 0, average_score: null }),
      bucket('2026-11-21T09:00:00.000Z', { total: 4, positive: 0, neutral: 1, negative: 3, average_score: -0.5 }),
    ],
  }) as ShownHistory;

  it('stacks the layers: positive on neutral on negative, x in seconds', () => {
    expect(dashboard.stackedColumns(history.buckets)).toEqual([
      history.buckets.map((b) => Date.parse(b.start) / 1000),
      [6, 0, 4],
      [3, 0, 4],
      [1, 0, 3],
    ]);
    expect(dashboard.stackedColumns([])).toEqual([[], [], [], []]);
  });

  it('says in one sentence whose items, how many of each, and the latest bucket', () => {
    const text = dashboard.summaryText(history, 'AAPL');
    expect(text).toMatch(/^AAPL, 3 hourly buckets from .+ to .+: 10 items, /);
    expect(text).toContain('3 positive (30%), 3 neutral (30%), 4 negative (40%)');
    expect(text).toMatch(/latest bucket 4 items, average score -0\.50\.$/);
    expect(dashboard.summaryText({ bucket: '5m', buckets: [] }, 'All tickers')).toBe(
      'All tickers, 5-minute buckets: no data yet.',
    );
    const empty = { bucket: '5m' as const, buckets: history.buckets.filter((b) => b.total === 0) };
    expect(dashboard.summaryText(empty, 'MSFT')).toMatch(/^MSFT, 1 5-minute buckets from .+: no items\.$/);
  });

  it('lists every bucket in the table, newest first, an empty one without an average', () => {
    const rows = dashboard.tableRows(history);
    expect(rows.map((row) => row.slice(1))).toEqual([
      ['4', '0', '1', '3', '-0.50'],
      ['0', '0', '0', '0', '–'],
      ['6', '3', '2', '1', '+0.25'],
    ]);
    expect(rows.every((row) => row[0] !== '')).toBe(true);
  });
});
