/**
 * The measurement method, identical for every server: baseline, connect N clients, settle, idle
 * window, then E events at a steady rate, all with the server's memory and CPU read from /proc.
 * It measures and returns figures; it asserts nothing about them.
 */
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchItemIds } from './bench-items.ts';
import { onCleanup } from './cleanup.ts';
import { readCpuMs, readRssKiB } from './proc-stats.ts';
import { SseClientPool } from './sse-clients.ts';
import { maximum, median, percentileOfSorted } from './stats.ts';

/** Counters of the shared feed poller, from the server's Prometheus text. */
interface FeedCounters {
  readonly polls: number;
  readonly storeRequests: number;
}

/** A running server as the method sees it. */
interface StreamTarget {
  readonly name: string;
  readonly pid: number;
  /** Loopback host and port of the SSE endpoint, and its path. */
  readonly host: string;
  readonly port: number;
  readonly streamPath: string;
  /** Publishes the `index`-th item of the run with this id; throws when the server refuses it. */
  publish(itemId: string, index: number): Promise<void>;
  /** undefined when the server exposes no such counters. */
  readFeedCounters(): Promise<FeedCounters | undefined>;
  /** How long after the last publish every client may take to have every event. */
  readonly deliveryTimeoutMs: number;
}

/** Knobs of one run, the same for every server. */
interface RunSettings {
  readonly clients: number;
  readonly events: number;
  /** Events per second. */
  readonly rate: number;
  readonly localAddresses: readonly string[];
  readonly connectConcurrency: number;
  readonly connectTimeoutMs: number;
  readonly connectBudgetMs: number;
  /** Distinguishes this run's item ids from any other run's. */
  readonly runTag: string;
  readonly log: (line: string) => void;
}

/** Everything measured for one server. */
interface StreamFigures {
  readonly name: string;
  readonly requested: number;
  readonly connected: number;
  readonly connectFailures: ReadonlyMap<string, number>;
  readonly connectAllMs: number;
  readonly kibPerConnection: number;
  /** Resident memory before the connects (the server at start) and 3 s after the last, in KiB. */
  readonly rssBaseKiB: number;
  readonly rssConnectedKiB: number;
  readonly idleCpuMsPerS: number;
  /** CPU above the idle rate per dispatched event of any type received during the event phase. */
  readonly usPerDelivery: number;
  /** The same CPU per expected `new_item` received. */
  readonly usPerItemDelivery: number;
  readonly deliveries: number;
  readonly fanOutMedianMs: number;
  readonly fanOutMaxMs: number;
  readonly publishToLastMedianMs: number;
  readonly latencyP50Ms: number;
  readonly latencyP99Ms: number;
  /** undefined when the server has no feed counters (the floor, or an engine without /metrics). */
  readonly queriesPerPoll: number | undefined;
  readonly polls: number | undefined;
  readonly expected: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly dropped: number;
  readonly publishErrors: readonly string[];
  readonly phaseEventsByType: ReadonlyMap<string, number>;
  readonly unexpectedItems: number;
  /** Length of the event phase, and this (client) process's CPU in it: shows when the clients saturate. */
  readonly phaseMs: number;
  readonly clientCpuMs: number;
  readonly publishedCount: number;
  /** Server CPU in the event phase, before the idle rate is taken off. */
  readonly serverPhaseCpuMs: number;
}

const BASELINE_WAIT_MS = 2000;
const SETTLE_WAIT_MS = 3000;
const IDLE_WINDOW_MS = 5000;
/** How often delivery completion is checked; short against a 1 s event interval. */
const COMPLETION_CHECK_MS = 20;

/** Server and client CPU per connected client in the connect phase: which side bounds connect-all. */
function connectCpuFigures(connected: number, serverCpuMs: number, clientStart: NodeJS.CpuUsage) {
  const client = process.cpuUsage(clientStart);
  const perConnect = (ms: number) => (connected > 0 ? ((ms * 1000) / connected).toFixed(0) : 'n/a');
  return { serverUs: perConnect(serverCpuMs), clientUs: perConnect((client.user + client.system) / 1000) };
}

/** Runs the method against `target`; closes its clients before returning or throwing. */
async function measureStream(target: StreamTarget, settings: RunSettings): Promise<StreamFigures> {
  const { log } = settings;
  const pool = new SseClientPool({
    host: target.host,
    port: target.port,
    path: target.streamPath,
    localAddresses: settings.localAddresses,
  });
  const unregister = onCleanup(() => {
    pool.close();
  });
  try {
    await sleep(BASELINE_WAIT_MS);
    const rssBase = readRssKiB(target.pid);

    log(`${target.name}: connecting ${settings.clients} clients`);
    const connectStartCpu = readCpuMs(target.pid);
    const connectClientCpu = process.cpuUsage();
    const outcome = await pool.connect({
      count: settings.clients,
      concurrency: settings.connectConcurrency,
      timeoutMs: settings.connectTimeoutMs,
      budgetMs: settings.connectBudgetMs,
    });
    log(
      `${target.name}: ${outcome.connected} connected in ${(outcome.connectAllMs / 1000).toFixed(2)} s` +
        (outcome.failed > 0
          ? `, ${outcome.failed} failed ${JSON.stringify(Object.fromEntries(outcome.failures))}`
          : ''),
    );
    const connectCpu = connectCpuFigures(outcome.connected, readCpuMs(target.pid) - connectStartCpu, connectClientCpu);
    log(`${target.name}: CPU per connect: server ${connectCpu.serverUs} µs, clients ${connectCpu.clientUs} µs`);
    await sleep(SETTLE_WAIT_MS);
    const rssConnected = readRssKiB(target.pid);
    const kibPerConnection = outcome.connected > 0 ? (rssConnected - rssBase) / outcome.connected : Number.NaN;

    log(`${target.name}: idle window ${IDLE_WINDOW_MS / 1000} s`);
    const idleStartCpu = readCpuMs(target.pid);
    const idleStart = performance.now();
    await sleep(IDLE_WINDOW_MS);
    const idleCpuMsPerS = ((readCpuMs(target.pid) - idleStartCpu) * 1000) / (performance.now() - idleStart);

    const itemIds = benchItemIds(settings.events, `${settings.runTag}-${target.name}`);
    pool.expectItems(itemIds);
    const live = pool.liveClients();
    const before = pool.counters();
    const typesBefore = pool.received().byType;
    const feedBefore = await target.readFeedCounters();
    log(`${target.name}: publishing ${settings.events} events at ${settings.rate}/s to ${live} clients`);
    const phaseStartCpu = readCpuMs(target.pid);
    const clientStartCpu = process.cpuUsage();
    const phaseStart = performance.now();
    const publishedAt = new Float64Array(settings.events).fill(Number.NaN);
    const publishErrors: string[] = [];
    const publishes: Promise<void>[] = [];
    for (let i = 0; i < settings.events; i += 1) {
      // Scheduled from the phase start, not from the previous publish, so the rate does not drift.
      const wait = phaseStart + (i * 1000) / settings.rate - performance.now();
      if (wait > 0) await sleep(wait);
      const itemId = itemIds[i] ?? '';
      publishedAt[i] = performance.now();
      publishes.push(
        target.publish(itemId, i).catch((error: unknown) => {
          publishErrors.push(`${itemId}: ${String(error)}`);
        }),
      );
    }
    await Promise.all(publishes);
    const expected = live * settings.events;
    const giveUpAt = performance.now() + target.deliveryTimeoutMs;
    while (pool.counters().unique - before.unique < expected && performance.now() < giveUpAt) {
      await sleep(COMPLETION_CHECK_MS);
    }
    const phaseCpuMs = readCpuMs(target.pid) - phaseStartCpu;
    const phaseMs = performance.now() - phaseStart;
    const clientCpu = process.cpuUsage(clientStartCpu);
    const after = pool.counters();
    const feedAfter = await target.readFeedCounters();

    const deliveries = after.events - before.events;
    const itemDeliveries = after.unique - before.unique;
    const cpuAboveIdleMs = phaseCpuMs - (idleCpuMsPerS * phaseMs) / 1000;
    const typesAfter = pool.received();
    const phaseEventsByType = new Map<string, number>();
    for (const [type, count] of typesAfter.byType) {
      const delta = count - (typesBefore.get(type) ?? 0);
      if (delta > 0) phaseEventsByType.set(type, delta);
    }

    const fanOut: number[] = [];
    const publishToLast: number[] = [];
    const latencies = new Float64Array(itemDeliveries);
    let filled = 0;
    itemIds.forEach((itemId, i) => {
      const times = pool.receivedTimes(itemId);
      const published = publishedAt[i] ?? Number.NaN;
      let first = Number.POSITIVE_INFINITY;
      let last = Number.NEGATIVE_INFINITY;
      for (const time of times) {
        if (Number.isNaN(time)) continue;
        if (time < first) first = time;
        if (time > last) last = time;
        if (filled < latencies.length) latencies[filled++] = time - published;
      }
      if (last >= first) {
        fanOut.push(last - first);
        publishToLast.push(last - published);
      }
    });
    const sortedLatencies = latencies.subarray(0, filled).sort();
    const queriesPerPoll =
      feedBefore !== undefined && feedAfter !== undefined && feedAfter.polls > feedBefore.polls
        ? (feedAfter.storeRequests - feedBefore.storeRequests) / (feedAfter.polls - feedBefore.polls)
        : undefined;

    return {
      name: target.name,
      requested: settings.clients,
      connected: outcome.connected,
      connectFailures: outcome.failures,
      connectAllMs: outcome.connectAllMs,
      kibPerConnection,
      rssBaseKiB: rssBase,
      rssConnectedKiB: rssConnected,
      idleCpuMsPerS,
      usPerDelivery: deliveries > 0 ? (cpuAboveIdleMs * 1000) / deliveries : Number.NaN,
      usPerItemDelivery: itemDeliveries > 0 ? (cpuAboveIdleMs * 1000) / itemDeliveries : Number.NaN,
      deliveries,
      fanOutMedianMs: median(fanOut),
      fanOutMaxMs: maximum(fanOut),
      publishToLastMedianMs: median(publishToLast),
      latencyP50Ms: percentileOfSorted(sortedLatencies, 50),
      latencyP99Ms: percentileOfSorted(sortedLatencies, 99),
      queriesPerPoll,
      polls: feedBefore !== undefined && feedAfter !== undefined ? feedAfter.polls - feedBefore.polls : undefined,
      expected,
      lost: expected - itemDeliveries,
      duplicated: after.duplicates - before.duplicates,
      dropped: pool.dropped(),
      publishErrors,
      phaseEventsByType,
      unexpectedItems: typesAfter.unexpectedItems,
      phaseMs,
      clientCpuMs: (clientCpu.user + clientCpu.system) / 1000,
      publishedCount: settings.events,
      serverPhaseCpuMs: phaseCpuMs,
    };
  } finally {
    pool.close();
    unregister();
  }
}

export type { FeedCounters, RunSettings, StreamFigures, StreamTarget };
export { measureStream };
