/**
 * tickerpulse as a benchmark target: `node src/main.ts` on the embedded store with room for the
 * clients, items ingested through `POST /api/v2/items`, feed counters read from `GET /metrics`.
 * The SSE engine may not exist yet; then the target reports why it is unavailable instead of
 * failing the whole run.
 */
import { startServerProcess } from './server-process.ts';
import { benchItem } from './bench-items.ts';
import { onCleanup, stopWithin } from './cleanup.ts';
import { getText, loopbackUrl, postJson, probeStream } from './loopback-http.ts';
import type { FeedCounters, StreamTarget } from './stream-run.ts';

/** A started server: either measurable, or running but without a usable stream endpoint. */
type LaunchedTickerpulse = (
  | { readonly available: true; readonly target: StreamTarget; readonly hasFeedCounters: boolean }
  | { readonly available: false; readonly reason: string }
) & {
  /** Stops the process (SIGKILL after a grace period); safe to call more than once. */
  stop(): Promise<void>;
};

const POLL_INTERVAL_MS = 1000;
const STREAM_PATH = '/api/v2/stream';
/**
 * An ingest wakes the poller, so events reach clients at once; should a wake be missed, the next
 * poll brings them. Allow a poll plus 5 s before calling one lost.
 */
const DELIVERY_TIMEOUT_MS = POLL_INTERVAL_MS + 5000;
/** Closing 10,000 streams and the embedded store can take a while; then SIGKILL. */
const STOP_GRACE_MS = 15_000;

const SERVER_ENV: Record<string, string> = {
  MAX_CONNECTIONS: '20000',
  POLL_INTERVAL_MS: String(POLL_INTERVAL_MS),
  HEARTBEAT_INTERVAL_MS: '30000',
  LOG_LEVEL: 'warn',
  SIMULATE: '0',
};

/** Sum of every sample of a counter (all label sets) in Prometheus text, or undefined if absent. */
function counterSum(text: string, name: string): number | undefined {
  let sum: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const next = line.charAt(name.length);
    if (next !== ' ' && next !== '{') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum = (sum ?? 0) + value;
  }
  return sum;
}

async function readFeedCounters(baseUrl: string): Promise<FeedCounters | undefined> {
  try {
    const { status, text } = await getText(`${baseUrl}/metrics`);
    if (status !== 200) return undefined;
    const polls = counterSum(text, 'tickerpulse_feed_polls_total');
    const storeRequests = counterSum(text, 'tickerpulse_feed_store_requests_total');
    return polls === undefined || storeRequests === undefined ? undefined : { polls, storeRequests };
  } catch {
    return undefined;
  }
}

/** Starts tickerpulse (with `nodeOptions` before its script), registers its stop for every exit path, and checks its stream endpoint. */
async function launchTickerpulse(nodeOptions: readonly string[] = []): Promise<LaunchedTickerpulse> {
  const server = await startServerProcess(SERVER_ENV, nodeOptions);
  let stopping: Promise<void> | undefined;
  const stopOnce = (): Promise<void> => (stopping ??= stopWithin(() => server.stop(), server.pid, STOP_GRACE_MS));
  const unregister = onCleanup(stopOnce);
  const stop = async (): Promise<void> => {
    await stopOnce();
    unregister();
  };
  const url = loopbackUrl(server.url);
  let probe: { status: number; contentType: string };
  try {
    probe = await probeStream(`${server.url}${STREAM_PATH}`);
  } catch (error) {
    return { available: false, reason: `GET ${STREAM_PATH} failed: ${String(error)}`, stop };
  }
  if (probe.status !== 200 || !probe.contentType.startsWith('text/event-stream')) {
    const reason = `GET ${STREAM_PATH} answered ${probe.status} ${probe.contentType || '(no content type)'}`;
    return { available: false, reason, stop };
  }
  const target: StreamTarget = {
    name: 'tickerpulse',
    pid: server.pid,
    host: url.hostname,
    port: Number(url.port),
    streamPath: STREAM_PATH,
    publish: (itemId, index) =>
      postJson(
        `${server.url}/api/v2/items`,
        { items: [benchItem(itemId, index)] },
        { 'x-api-key': server.ingestApiKey },
      ),
    readFeedCounters: () => readFeedCounters(server.url),
    deliveryTimeoutMs: DELIVERY_TIMEOUT_MS,
  };
  const hasFeedCounters = (await readFeedCounters(server.url)) !== undefined;
  return { available: true, target, hasFeedCounters, stop };
}

export type { LaunchedTickerpulse };
export { launchTickerpulse };
