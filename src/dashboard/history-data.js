// Sentiment over time as the chart and its text alternative show it. Pure functions, no DOM, so
// Node tests import this file (test/unit/dashboard/history-data.test.ts).

/** @typedef {import('./contract.js').BucketSize} BucketSize */
/** @typedef {import('./contract.js').ShownBucket} ShownBucket */
/** @typedef {import('./contract.js').ShownHistory} ShownHistory */
/** The chart's columns: x in seconds, then the three layers. @typedef {[number[], number[], number[], number[]]} Columns */

/** @type {Readonly<Record<BucketSize, string>>} */
const BUCKET_NAMES = Object.freeze({ '5m': '5-minute', '1h': 'hourly' });

/** The three counts, top layer first: the order the chart stacks, paints and lists them in. */
const LAYER_KEYS = /** @type {const} */ (['positive', 'neutral', 'negative']);

/**
 * The chart's columns: each bucket's start in seconds (uPlot's time unit), then the stacked layers
 * top down: positive + neutral + negative, neutral + negative, negative. Drawn in that order with
 * opaque fills down to zero, each layer covers the lower part of the one before, which stacks them
 * without uPlot's bands. The top is the sum of the three, not `total`, so the layers always add up.
 * @param {readonly ShownBucket[]} buckets  oldest first
 * @returns {Columns}
 */
function stackedColumns(buckets) {
  return [
    buckets.map((b) => b.startMs / 1000),
    buckets.map((b) => b.positive + b.neutral + b.negative),
    buckets.map((b) => b.neutral + b.negative),
    buckets.map((b) => b.negative),
  ];
}

/**
 * A bucket's start as the table and the summary show it: the time of day, and for hourly buckets
 * (a day's worth, across midnight) the weekday too.
 * @param {number} ms
 * @param {BucketSize} size
 */
function bucketTime(ms, size) {
  /** @type {Intl.DateTimeFormatOptions} */
  const options = { hour: '2-digit', minute: '2-digit', hour12: false };
  return new Date(ms).toLocaleString([], size === '1h' ? { weekday: 'short', ...options } : options);
}

/** @param {number | null} score */
const formatScore = (score) => (score === null ? '–' : `${score >= 0 ? '+' : ''}${score.toFixed(2)}`);

/** @param {number} part @param {number} whole */
const percent = (part, whole) => (whole === 0 ? 0 : Math.round((part / whole) * 100));

/** The counts of all buckets together. @param {readonly ShownBucket[]} buckets */
function totals(buckets) {
  const sum = { total: 0, positive: 0, neutral: 0, negative: 0 };
  for (const b of buckets) {
    sum.total += b.total;
    sum.positive += b.positive;
    sum.neutral += b.neutral;
    sum.negative += b.negative;
  }
  return sum;
}

/**
 * One sentence that says what the chart shows, for everyone (under the chart) and for screen readers
 * first of all: whose items, which buckets over which span, how many of each sentiment, and the
 * latest bucket.
 * @param {ShownHistory} history
 * @param {string} subject  e.g. `All tickers` or `AAPL`
 */
function summaryText(history, subject) {
  const { bucket, buckets } = history;
  const first = buckets[0];
  const last = buckets.at(-1);
  if (first === undefined || last === undefined) return `${subject}, ${BUCKET_NAMES[bucket]} buckets: no data yet.`;
  const sum = totals(buckets);
  const span = `${buckets.length} ${BUCKET_NAMES[bucket]} buckets from ${bucketTime(first.startMs, bucket)} to ${bucketTime(last.startMs, bucket)}`;
  if (sum.total === 0) return `${subject}, ${span}: no items.`;
  const counts = LAYER_KEYS.map((key) => `${sum[key]} ${key} (${percent(sum[key], sum.total)}%)`).join(', ');
  const latest = `latest bucket ${last.total} ${last.total === 1 ? 'item' : 'items'}, average score ${formatScore(last.average_score)}`;
  return `${subject}, ${span}: ${sum.total} ${sum.total === 1 ? 'item' : 'items'}, ${counts}; ${latest}.`;
}

/**
 * The table's rows, newest bucket first: start, total, positive, neutral, negative, average score.
 * @param {ShownHistory} history
 * @returns {string[][]}
 */
function tableRows(history) {
  return [...history.buckets]
    .reverse()
    .map((b) => [
      bucketTime(b.startMs, history.bucket),
      String(b.total),
      String(b.positive),
      String(b.neutral),
      String(b.negative),
      formatScore(b.average_score),
    ]);
}

export { BUCKET_NAMES, LAYER_KEYS, bucketTime, stackedColumns, summaryText, tableRows, totals };
