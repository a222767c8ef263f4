/**
 * How long each chunk a runtime wrote took to reach the Runtime API: the probe's write moments
 * (test/support/ric-write-probe.ts) matched, by byte offset, to the moments the body grew past
 * each chunk's end (test/support/ric-runtime-api.ts). Both clocks are CLOCK_MONOTONIC.
 */
import type { ProbedChunk } from './ric-function.ts';
import type { Arrival } from './ric-runtime-api.ts';

interface WriteDelay {
  readonly bytes: number;
  readonly writtenAt: bigint;
  readonly arrivedAt: bigint;
  readonly delayMs: number;
}

function writeDelays(writes: readonly ProbedChunk[], arrivals: readonly Arrival[]): WriteDelay[] {
  let end = 0;
  let next = 0;
  return writes.map((write) => {
    end += write.bytes;
    while (next < arrivals.length && (arrivals[next]?.totalBytes ?? 0) < end) next += 1;
    const arrival = arrivals[next];
    if (arrival === undefined) throw new Error(`byte ${end} was written but never arrived`);
    return {
      bytes: write.bytes,
      writtenAt: write.at,
      arrivedAt: arrival.at,
      delayMs: Number(arrival.at - write.at) / 1e6,
    };
  });
}

/** The p-th percentile (0–100) of some numbers, nearest rank. */
function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

export type { WriteDelay };
export { percentile, writeDelays };
