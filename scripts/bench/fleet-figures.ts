/**
 * Delivery figures of the fleet benchmark from raw receive times: fan-out (first to last receive
 * of an item) and latency (publish request sent to receive), for any group of clients (one
 * server's, or all). Pure, so it is tested without a fleet.
 */
import { maximum, median, percentileOfSorted } from './stats.ts';

interface DeliveryFigures {
  /** Receipts counted (each client's first receipt of each item). */
  readonly received: number;
  /** Over items: median and largest first-to-last receive, ms. */
  readonly fanOutMedianMs: number;
  readonly fanOutMaxMs: number;
  /** Over every receipt: publish → receive, ms. */
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
}

/**
 * `times[item]` holds, per part (e.g. one per worker), each client's receive time of that item on
 * the clock `publishedAt` uses, NaN where it never came.
 */
function deliveryFigures(times: readonly (readonly Float64Array[])[], publishedAt: readonly number[]): DeliveryFigures {
  const fanOut: number[] = [];
  const latencies: number[] = [];
  times.forEach((parts, item) => {
    const published = publishedAt[item] ?? Number.NaN;
    let first = Number.POSITIVE_INFINITY;
    let last = Number.NEGATIVE_INFINITY;
    for (const part of parts) {
      for (const time of part) {
        if (Number.isNaN(time)) continue;
        if (time < first) first = time;
        if (time > last) last = time;
        latencies.push(time - published);
      }
    }
    if (last >= first) fanOut.push(last - first);
  });
  const sorted = Float64Array.from(latencies).sort();
  return {
    received: latencies.length,
    fanOutMedianMs: median(fanOut),
    fanOutMaxMs: maximum(fanOut),
    latencyP50Ms: percentileOfSorted(sorted, 50),
    latencyP99Ms: percentileOfSorted(sorted, 99),
  };
}

/** From first start to last ready over several connect phases that ran at once, ms. */
function connectAllMs(phases: readonly { readonly startedAt: number; readonly lastReadyAt: number }[]): number {
  if (phases.length === 0) return Number.NaN;
  return Math.max(...phases.map((p) => p.lastReadyAt)) - Math.min(...phases.map((p) => p.startedAt));
}

/** Resident growth per connection in KiB, NaN without connections. */
function kibPerConnection(rssBeforeKiB: number, rssAfterKiB: number, connections: number): number {
  return connections > 0 ? (rssAfterKiB - rssBeforeKiB) / connections : Number.NaN;
}

export type { DeliveryFigures };
export { connectAllMs, deliveryFigures, kibPerConnection };
