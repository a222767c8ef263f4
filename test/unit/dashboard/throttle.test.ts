/**
 * The dashboard's throttle (src/dashboard/throttle.js), which bounds how often the sentiment chart
 * refetches its history while items pour in. Fake timers drive the clock; the task is real.
 */
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

interface Throttle {
  request(): void;
  now(): void;
  cancel(): void;
}

const url = pathToFileURL(fileURLToPath(new URL('../../../src/dashboard/throttle.js', import.meta.url))).href;
const { createThrottle } = (await import(url)) as {
  createThrottle: (task: () => Promise<void> | void, intervalMs: number) => Throttle;
};

const INTERVAL_MS = 1000;

/** A task that records when each run starts and ends after `takesMs`. */
function recordingTask(takesMs = 0) {
  const starts: number[] = [];
  let running = 0;
  let overlapped = false;
  const task = async () => {
    starts.push(Date.now());
    running += 1;
    if (running > 1) overlapped = true;
    await new Promise((resolve) => setTimeout(resolve, takesMs));
    running -= 1;
  };
  return { task, starts, overlapped: () => overlapped };
}

beforeEach(() => {
  vi.useFakeTimers({ now: 0 });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('createThrottle', () => {
  it('runs the first request at once, then folds a burst into one run per interval', async () => {
    const { task, starts } = recordingTask();
    const throttle = createThrottle(task, INTERVAL_MS);
    throttle.request();
    await vi.advanceTimersByTimeAsync(0);
    expect(starts).toEqual([0]);
    // 100 requests over 2.5 s: runs at 1000 and 2000 only, then one more for the last requests.
    for (let i = 0; i < 100; i += 1) {
      await vi.advanceTimersByTimeAsync(25);
      throttle.request();
    }
    await vi.advanceTimersByTimeAsync(5000);
    expect(starts).toEqual([0, 1000, 2000, 3000]);
  });

  it('never runs twice at once: a slow run delays the next one until it ends', async () => {
    const { task, starts, overlapped } = recordingTask(2500);
    const throttle = createThrottle(task, INTERVAL_MS);
    throttle.request();
    await vi.advanceTimersByTimeAsync(100);
    throttle.request();
    throttle.request();
    await vi.advanceTimersByTimeAsync(10_000);
    // The second run starts as the first ends (a zero-delay timer: within a millisecond).
    expect(starts).toHaveLength(2);
    expect(starts[1]).toBeGreaterThanOrEqual(2500);
    expect(starts[1]).toBeLessThanOrEqual(2501);
    expect(overlapped()).toBe(false);
  });

  it('runs now() at once whatever the interval, and a pending request still runs after it', async () => {
    const { task, starts } = recordingTask();
    const throttle = createThrottle(task, INTERVAL_MS);
    throttle.now();
    await vi.advanceTimersByTimeAsync(200);
    throttle.now();
    await vi.advanceTimersByTimeAsync(100);
    throttle.request();
    await vi.advanceTimersByTimeAsync(5000);
    expect(starts).toEqual([0, 200, 1200]);
  });

  it('goes on after a failing run, and cancel() drops a waiting request', async () => {
    const starts: number[] = [];
    const throttle = createThrottle(() => {
      starts.push(Date.now());
      throw new Error('offline');
    }, INTERVAL_MS);
    throttle.request();
    await vi.advanceTimersByTimeAsync(10);
    throttle.request();
    await vi.advanceTimersByTimeAsync(2000);
    throttle.request();
    await vi.advanceTimersByTimeAsync(0);
    expect(starts).toEqual([0, 1000, 2010]);
    await vi.advanceTimersByTimeAsync(10);
    throttle.request();
    throttle.cancel();
    await vi.advanceTimersByTimeAsync(5000);
    expect(starts).toEqual([0, 1000, 2010]);
  });
});
