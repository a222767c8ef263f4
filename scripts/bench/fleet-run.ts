/**
 * The fleet benchmark's method, once the store, the servers and the client workers run: baseline,
 * connect every client at once (all workers together), settle, idle window, then E items at one
 * per second through the first server's `POST /api/v2/items`, and every client's receipts. Each
 * process's memory and CPU are read from /proc. It measures; it asserts nothing about timing.
 */
import { readdirSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { benchItem, benchItemIds } from './bench-items.ts';
import { connectAllMs, type DeliveryFigures, deliveryFigures, kibPerConnection } from './fleet-figures.ts';
import { sharedClockMs, type ConnectReply, type ProgressReply, type TimesReply } from './fleet-protocol.ts';
import type { FleetServer } from './fleet-servers.ts';
import type { FleetWorker } from './fleet-workers.ts';
import { postJson } from './loopback-http.ts';
import { readCpuMs, readMachineCpuMs, readRssKiB } from './proc-stats.ts';

interface FleetRunSettings {
  readonly events: number;
  readonly pollIntervalMs: number;
  readonly ingestApiKey: string;
  /** Connects in flight per server, shared by its workers (as `npm run bench` does for its one server). */
  readonly connectConcurrency: number;
  readonly connectTimeoutMs: number;
  readonly connectBudgetMs: number;
  readonly runTag: string;
  readonly log: (line: string) => void;
}

/** A process's resident memory and CPU over the phases. */
interface ProcessFigures {
  readonly name: string;
  readonly pid: number;
  readonly rssBaseKiB: number;
  readonly rssConnectedKiB: number;
  /** Open descriptors once connected: how near the process is to its limit of 20,000. */
  readonly openFiles: number;
  /** CPU during the connect phase, in ms and as % of one core. */
  readonly connectCpuMs: number;
  readonly connectCpuPercent: number;
  readonly idleCpuPercent: number;
  /** CPU during the event phase as % of one core. */
  readonly eventCpuPercent: number;
}

/** One group of clients: one server's, or all. */
interface GroupFigures extends DeliveryFigures {
  readonly name: string;
  readonly requested: number;
  readonly connected: number;
  readonly failures: Readonly<Record<string, number>>;
  readonly connectAllMs: number;
  /** CPU of the group's servers, and of its client workers, during the connect phase per client connected. */
  readonly serverUsPerConnect: number;
  readonly clientUsPerConnect: number;
  readonly kibPerConnection: number;
  readonly idleCpuPercent: number;
  readonly expected: number;
  readonly lost: number;
  readonly duplicated: number;
  readonly dropped: number;
  readonly unexpectedItems: number;
}

interface FleetFigures {
  readonly servers: readonly GroupFigures[];
  readonly total: GroupFigures;
  readonly processes: readonly ProcessFigures[];
  readonly publishErrors: readonly string[];
  readonly eventPhaseMs: number;
  /** The whole machine's busy share per phase, % of all cores: near 100 means CPU bound. */
  readonly machineBusyPercent: { readonly connect: number; readonly idle: number; readonly events: number };
}

const BASELINE_WAIT_MS = 2000;
const SETTLE_WAIT_MS = 3000;
const IDLE_WINDOW_MS = 5000;
const PROGRESS_CHECK_MS = 100;
const REQUEST_TIMEOUT_MS = 30_000;
/** After the last publish: one poll of every other server, plus room for a busy machine. */
const DELIVERY_GRACE_MS = 10_000;

/** CPU and memory readings of a set of processes at phase boundaries. */
class ProcessMeter {
  readonly #processes: readonly { readonly name: string; readonly pid: number }[];
  readonly #marks = new Map<
    string,
    { at: number; cpu: number[]; rss: number[]; machine: { busyMs: number; totalMs: number } }
  >();

  constructor(processes: readonly { readonly name: string; readonly pid: number }[]) {
    this.#processes = processes;
  }

  #openFiles: number[] = [];

  /** Counts each process's open descriptors now. */
  countOpenFiles(): void {
    this.#openFiles = this.#processes.map((p) => {
      try {
        return readdirSync(`/proc/${p.pid}/fd`).length;
      } catch {
        return Number.NaN;
      }
    });
  }

  mark(label: string): void {
    this.#marks.set(label, {
      at: performance.now(),
      cpu: this.#processes.map((p) => readCpuMs(p.pid)),
      rss: this.#processes.map((p) => readRssKiB(p.pid)),
      machine: readMachineCpuMs(),
    });
  }

  /** The whole machine's busy share between two marks, % of all its cores (other work on it included). */
  machineBusyPercent(from: string, to: string): number {
    const a = this.#marks.get(from)?.machine;
    const b = this.#marks.get(to)?.machine;
    if (a === undefined || b === undefined || b.totalMs <= a.totalMs) return Number.NaN;
    return ((b.busyMs - a.busyMs) * 100) / (b.totalMs - a.totalMs);
  }

  /** CPU ms between two marks, per process. */
  cpuMs(from: string, to: string): number[] {
    const a = this.#marks.get(from);
    const b = this.#marks.get(to);
    if (a === undefined || b === undefined) return this.#processes.map(() => Number.NaN);
    return this.#processes.map((_, i) => (b.cpu[i] ?? 0) - (a.cpu[i] ?? 0));
  }

  /** CPU between two marks as % of one core, per process. */
  cpuPercent(from: string, to: string): number[] {
    const elapsed = (this.#marks.get(to)?.at ?? Number.NaN) - (this.#marks.get(from)?.at ?? Number.NaN);
    return this.cpuMs(from, to).map((ms) => (ms * 100) / elapsed);
  }

  rss(label: string): number[] {
    return this.#marks.get(label)?.rss ?? this.#processes.map(() => Number.NaN);
  }

  figures(): ProcessFigures[] {
    const connectMs = this.cpuMs('connect-start', 'connect-end');
    const connect = this.cpuPercent('connect-start', 'connect-end');
    const idle = this.cpuPercent('idle-start', 'idle-end');
    const events = this.cpuPercent('events-start', 'events-end');
    const base = this.rss('baseline');
    const connected = this.rss('settled');
    return this.#processes.map((p, i) => ({
      ...p,
      rssBaseKiB: base[i] ?? Number.NaN,
      rssConnectedKiB: connected[i] ?? Number.NaN,
      openFiles: this.#openFiles[i] ?? Number.NaN,
      connectCpuMs: connectMs[i] ?? Number.NaN,
      connectCpuPercent: connect[i] ?? Number.NaN,
      idleCpuPercent: idle[i] ?? Number.NaN,
      eventCpuPercent: events[i] ?? Number.NaN,
    }));
  }
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

function mergeFailures(replies: readonly ConnectReply[]): Record<string, number> {
  const merged: Record<string, number> = {};
  for (const reply of replies) {
    for (const [reason, count] of Object.entries(reply.failures)) merged[reason] = (merged[reason] ?? 0) + count;
  }
  return merged;
}

/** Workers connecting to the same server as `worker`, itself included. */
function sharing(workers: readonly FleetWorker[], worker: FleetWorker): number {
  return workers.filter((w) => w.plan.server === worker.plan.server).length;
}

async function connectAll(workers: readonly FleetWorker[], settings: FleetRunSettings): Promise<ConnectReply[]> {
  const timeout = settings.connectBudgetMs + settings.connectTimeoutMs + REQUEST_TIMEOUT_MS;
  return Promise.all(
    workers.map((worker) =>
      worker.request<'connect'>(
        {
          type: 'connect',
          concurrency: Math.max(1, Math.floor(settings.connectConcurrency / sharing(workers, worker))),
          timeoutMs: settings.connectTimeoutMs,
          budgetMs: settings.connectBudgetMs,
        },
        timeout,
      ),
    ),
  );
}

function progressOf(workers: readonly FleetWorker[]): Promise<ProgressReply[]> {
  return Promise.all(workers.map((w) => w.request<'progress'>({ type: 'progress' }, REQUEST_TIMEOUT_MS)));
}

/** Publishes one item per second through `via`; returns each publish's shared-clock time. */
async function publishItems(
  via: FleetServer,
  itemIds: readonly string[],
  settings: FleetRunSettings,
  errors: string[],
): Promise<number[]> {
  const publishedAt: number[] = [];
  const publishes: Promise<void>[] = [];
  const start = performance.now();
  for (const [i, itemId] of itemIds.entries()) {
    // Scheduled from the phase start, not from the previous publish, so the rate does not drift.
    const wait = start + i * 1000 - performance.now();
    if (wait > 0) await sleep(wait);
    publishedAt.push(sharedClockMs());
    publishes.push(
      postJson(
        `${via.url}/api/v2/items`,
        { items: [benchItem(itemId, i)] },
        { 'x-api-key': settings.ingestApiKey },
      ).catch((error: unknown) => {
        errors.push(`${itemId}: ${String(error)}`);
      }),
    );
  }
  await Promise.all(publishes);
  return publishedAt;
}

/** Waits until every live client has every item, or the grace after the last publish is spent. */
async function awaitDelivery(
  workers: readonly FleetWorker[],
  expected: readonly number[],
  before: readonly ProgressReply[],
): Promise<void> {
  const giveUpAt = performance.now() + DELIVERY_GRACE_MS;
  while (performance.now() < giveUpAt) {
    const now = await progressOf(workers);
    if (now.every((p, i) => p.unique - (before[i]?.unique ?? 0) >= (expected[i] ?? 0))) return;
    await sleep(PROGRESS_CHECK_MS);
  }
}

/** Everything the workers and the meter reported, by worker index (processes: by meter order, servers first). */
interface WorkerResults {
  readonly workers: readonly FleetWorker[];
  readonly connects: readonly ConnectReply[];
  readonly before: readonly ProgressReply[];
  readonly after: readonly ProgressReply[];
  readonly expected: readonly number[];
  readonly times: readonly TimesReply[];
  readonly itemIds: readonly string[];
  readonly publishedAt: readonly number[];
  readonly processes: readonly ProcessFigures[];
  /** Index in `processes` of the first worker's (the servers and the store come before). */
  readonly firstWorkerProcess: number;
}

/** CPU µs per connection, NaN without connections. */
const usPer = (cpuMs: number, connections: number): number =>
  connections > 0 ? (cpuMs * 1000) / connections : Number.NaN;

/** The figures of the clients of workers `members`, served by the servers `serverIndexes`. */
function groupFigures(
  run: WorkerResults,
  name: string,
  members: readonly number[],
  serverIndexes: readonly number[],
): GroupFigures {
  const pick = <T>(values: readonly T[]): T[] => members.map((i) => values[i] as T);
  const connects = pick(run.connects);
  const before = pick(run.before);
  const after = pick(run.after);
  const expected = sum(pick(run.expected));
  const connected = sum(connects.map((c) => c.connected));
  const servers = serverIndexes.map((i) => run.processes[i] as ProcessFigures);
  const clients = members.map((i) => run.processes[run.firstWorkerProcess + i] as ProcessFigures);
  const times = pick(run.times);
  const delivery = deliveryFigures(
    run.itemIds.map((_, item) => times.map((t) => t.times[item] ?? new Float64Array())),
    run.publishedAt,
  );
  const unique = sum(after.map((p, i) => p.unique - (before[i]?.unique ?? 0)));
  return {
    name,
    requested: sum(members.map((i) => run.workers[i]?.plan.clients ?? 0)),
    connected,
    failures: mergeFailures(connects),
    connectAllMs: connectAllMs(connects),
    serverUsPerConnect: usPer(sum(servers.map((p) => p.connectCpuMs)), connected),
    clientUsPerConnect: usPer(sum(clients.map((p) => p.connectCpuMs)), connected),
    kibPerConnection: kibPerConnection(
      sum(servers.map((p) => p.rssBaseKiB)),
      sum(servers.map((p) => p.rssConnectedKiB)),
      connected,
    ),
    idleCpuPercent: sum(servers.map((p) => p.idleCpuPercent)),
    ...delivery,
    expected,
    lost: expected - unique,
    duplicated: sum(after.map((p, i) => p.duplicates - (before[i]?.duplicates ?? 0))),
    dropped: sum(after.map((p) => p.dropped)),
    unexpectedItems: sum(after.map((p) => p.unexpectedItems)),
  };
}

/** Runs the method; the caller owns (and stops) the servers and workers. */
async function measureFleet(
  servers: readonly FleetServer[],
  store: { readonly pid: number },
  workers: readonly FleetWorker[],
  settings: FleetRunSettings,
): Promise<FleetFigures> {
  const { log } = settings;
  const meter = new ProcessMeter([
    ...servers.map((s) => ({ name: `serve ${s.index + 1}`, pid: s.process.pid })),
    { name: 'dynalite', pid: store.pid },
    ...workers.map((w) => ({ name: `client worker ${w.plan.index + 1}`, pid: w.pid })),
  ]);
  await sleep(BASELINE_WAIT_MS);
  meter.mark('baseline');

  const requested = sum(workers.map((w) => w.plan.clients));
  log(`connecting ${requested} clients from ${workers.length} worker process(es) to ${servers.length} server(s)`);
  meter.mark('connect-start');
  const connects = await connectAll(workers, settings);
  meter.mark('connect-end');
  const connected = sum(connects.map((c) => c.connected));
  log(
    `${connected} connected in ${(connectAllMs(connects) / 1000).toFixed(2)} s` +
      (connected < requested ? `, failures ${JSON.stringify(mergeFailures(connects))}` : ''),
  );

  await sleep(SETTLE_WAIT_MS);
  meter.mark('settled');
  meter.countOpenFiles();
  log(`idle window ${IDLE_WINDOW_MS / 1000} s`);
  meter.mark('idle-start');
  await sleep(IDLE_WINDOW_MS);
  meter.mark('idle-end');

  const itemIds = benchItemIds(settings.events, settings.runTag);
  await Promise.all(workers.map((w) => w.request<'expect'>({ type: 'expect', itemIds }, REQUEST_TIMEOUT_MS)));
  const before = await progressOf(workers);
  const expected = before.map((p) => p.live * settings.events);
  log(`publishing ${settings.events} items at 1/s through serve 1 to ${sum(before.map((p) => p.live))} live clients`);
  const publishErrors: string[] = [];
  meter.mark('events-start');
  const eventsStart = performance.now();
  const publishedAt = await publishItems(servers[0] as FleetServer, itemIds, settings, publishErrors);
  await awaitDelivery(workers, expected, before);
  meter.mark('events-end');
  const eventPhaseMs = performance.now() - eventsStart;
  const after = await progressOf(workers);
  const times = await Promise.all(
    workers.map((w) => w.request<'times'>({ type: 'times', itemIds }, REQUEST_TIMEOUT_MS)),
  );

  const processes = meter.figures();
  const run: WorkerResults = {
    workers,
    connects,
    before,
    after,
    expected,
    times,
    itemIds,
    publishedAt,
    processes,
    firstWorkerProcess: servers.length + 1,
  };
  const allWorkers = workers.map((_, i) => i);
  return {
    servers: servers.map((s) =>
      groupFigures(
        run,
        `serve ${s.index + 1}${s.index === 0 ? ' (publish)' : ''}`,
        allWorkers.filter((i) => workers[i]?.plan.server === s.index),
        [s.index],
      ),
    ),
    total: groupFigures(
      run,
      'total',
      allWorkers,
      servers.map((s) => s.index),
    ),
    processes,
    publishErrors,
    eventPhaseMs,
    machineBusyPercent: {
      connect: meter.machineBusyPercent('connect-start', 'connect-end'),
      idle: meter.machineBusyPercent('idle-start', 'idle-end'),
      events: meter.machineBusyPercent('events-start', 'events-end'),
    },
  };
}

export type { FleetFigures, FleetRunSettings, GroupFigures, ProcessFigures };
export { measureFleet };
