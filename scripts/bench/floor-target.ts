/**
 * The floor server as a benchmark target: started as its own process, published to with
 * `POST /publish`, and without feed counters (it has no store to poll).
 */
import { benchItem } from './bench-items.ts';
import { onCleanup, stopWithin } from './cleanup.ts';
import { startFloorProcess } from './floor-process.ts';
import { loopbackUrl, postJson } from './loopback-http.ts';
import type { StreamTarget } from './stream-run.ts';

/** A started target and how to stop it. */
interface LaunchedFloor {
  readonly target: StreamTarget;
  /** Stops the process (SIGKILL after a grace period); safe to call more than once. */
  stop(): Promise<void>;
}

/** The floor pushes synchronously on publish, so anything later than this is lost, not late. */
const DELIVERY_TIMEOUT_MS = 6000;
const STOP_GRACE_MS = 10_000;

/** Starts the floor server and registers its stop for every exit path. */
async function launchFloor(): Promise<LaunchedFloor> {
  const floor = await startFloorProcess();
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopWithin(() => floor.stop(), floor.pid, STOP_GRACE_MS));
  const unregister = onCleanup(stop);
  const url = loopbackUrl(floor.url);
  const target: StreamTarget = {
    name: 'floor',
    pid: floor.pid,
    host: url.hostname,
    port: Number(url.port),
    streamPath: '/stream',
    publish: (itemId, index) => postJson(`${floor.url}/publish`, benchItem(itemId, index)),
    readFeedCounters: () => Promise.resolve(undefined),
    deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
  };
  return {
    target,
    stop: async () => {
      await stop();
      unregister();
    },
  };
}

export type { LaunchedFloor };
export { launchFloor };
