/**
 * Order statistics over the benchmark's samples. Percentiles use the nearest-rank method on a
 * sorted copy, so every figure printed is a value that was actually observed.
 */

/** The `p`-th percentile (0–100) of `sorted` (ascending), or NaN when it is empty. */
function percentileOfSorted(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] ?? Number.NaN;
}

/** Sorted copy of the finite values of `values`. */
function sortedFinite(values: Iterable<number>): Float64Array {
  const kept: number[] = [];
  for (const value of values) if (Number.isFinite(value)) kept.push(value);
  return Float64Array.from(kept).sort();
}

/** Median (nearest rank) of the finite values, or NaN when there are none. */
function median(values: Iterable<number>): number {
  return percentileOfSorted(sortedFinite(values), 50);
}

/** Largest finite value, or NaN when there are none. */
function maximum(values: Iterable<number>): number {
  let max = Number.NaN;
  for (const value of values) if (Number.isFinite(value) && !(value <= max)) max = value;
  return max;
}

export { maximum, median, percentileOfSorted, sortedFinite };
