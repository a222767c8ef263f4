/**
 * `npm run bench:fleet`: SSE fan-out of a fleet of `npm run serve` processes sharing one store.
 *
 * Starts one standalone dynalite process (in memory) and --servers serve processes on one table
 * in it, spreads --clients over the servers and over client worker processes (the open-files
 * limit of 20,000 is per process, so neither side may hold more than ~19,000 sockets), each
 * worker on its own block of 127.0.x.y source addresses; waits until all are connected, measures
 * each server's memory per connection and idle CPU, publishes --events items through the first
 * server (the others learn them by polling the store) and checks that every client got each
 * exactly once. Prints a Markdown table; asserts nothing about timing.
 *
 * Bounded: a hard deadline, SIGINT, SIGTERM or a failure stops everything it started (each
 * helper runs in its own process group under `timeout -s KILL`). Loopback only. Options:
 * `npm run bench:fleet -- --help` (COMMAND below).
 */
import { availableParallelism } from 'node:os';
import { performance } from 'node:perf_hooks';
import { decimal, defineCommand, integer, readCommandLine, refuse } from '../src/cli/usage.ts';
import { killStartedGroups } from './bench/bounded-process.ts';
import { runCleanup } from './bench/cleanup.ts';
import { type FleetPlan, planFleet, planProblem } from './bench/fleet-plan.ts';
import { formatFleetReport } from './bench/fleet-report.ts';
import { type FleetFigures, measureFleet } from './bench/fleet-run.ts';
import { INGEST_API_KEY, startServers, startStore } from './bench/fleet-servers.ts';
import { type FleetWorker, startWorker } from './bench/fleet-workers.ts';
import { probeStream } from './bench/loopback-http.ts';
import { guardRun, openFilesLimit } from './bench/run-guard.ts';

const STREAM_PATH = '/api/v2/stream';
/** Each server's own connection cap: above its share of clients, under its descriptor limit. */
const MAX_CONNECTIONS = 19_500;

const COMMAND = defineCommand({
  command: 'npm run bench:fleet',
  summary:
    'SSE fan-out of a fleet on loopback: one standalone dynalite (in memory) and --servers npm run serve ' +
    'processes on one table in it; --clients streams spread over the servers and over client worker processes ' +
    '(each under the 20,000 open-files limit), from 127.0.x.y source addresses; waits until all are connected, ' +
    'then publishes --events items through the first server and prints a Markdown table per server and in ' +
    'total: connect time, memory per connection (and against Nchan’s 10.0 KiB), idle CPU, fan-out, latency, ' +
    'lost and duplicated events, and every process’s memory and CPU. It asserts nothing about timing. Exits 3 ' +
    'when --deadline-s is reached, after stopping everything it started.',
  options: {
    servers: {
      value: '<n>',
      description: 'npm run serve processes sharing the store.',
      rule: integer(1, 3),
      default: '3',
    },
    // 19,000 streams per server process: its 20,000 descriptors less room for the store and logs.
    clients: {
      value: '<n>',
      description: 'Concurrent stream clients, at most 19000 per server.',
      rule: integer(1, 57_000),
      default: '50000',
    },
    events: { value: '<n>', description: 'Items published, one per second.', rule: integer(1, 10), default: '3' },
    'poll-interval-ms': {
      value: '<ms>',
      description: 'POLL_INTERVAL_MS of every server: how late the servers that did not take the ingest learn it.',
      rule: integer(100, 10_000),
      default: '1000',
    },
    'deadline-s': {
      value: '<s>',
      description: 'Hard deadline of the whole run.',
      rule: decimal(30, 3600),
      default: '600',
    },
  },
  notes: [
    `Each server runs with HOST=127.0.0.1, PORT=0, MAX_CONNECTIONS=${MAX_CONNECTIONS}, HEARTBEAT_INTERVAL_MS=30000, ` +
      'LOG_LEVEL=warn, its own INGEST_API_KEY and AUTH_JWT_SECRET, and AWS-style settings pointing at the ' +
      'store (DYNAMODB_ENDPOINT, AWS_REGION, a dummy key pair, shared files and instance metadata off); the ' +
      'first creates the table (CREATE_TABLE=true).',
    'Client workers hold at most 18000 sockets each and use at most 1000 clients per source address ' +
      '(127.0.<worker>.<n>): Node binds the source address before connecting, so each address gives out its ' +
      '~28000 ephemeral ports once, whatever the destination.',
  ],
});

const options = readCommandLine(COMMAND);
const { servers: serverCount, clients, events, 'poll-interval-ms': pollIntervalMs, 'deadline-s': deadlineS } = options;
const problem = planProblem(clients, serverCount);
if (problem !== undefined) refuse(COMMAND, problem);
if (Number(process.versions.node.split('.')[0]) < 24) {
  // The servers and workers run .ts files natively with this process's Node, which needs 24.
  process.stderr.write(
    `Node ${process.versions.node}: run with Node 24 (npm run bench:fleet uses node_modules/.bin/node)\n`,
  );
  process.exit(2);
}

const { started, log, abort, disarm } = guardRun({
  deadlineS,
  stopping: 'servers, store and clients',
  cleanupMs: 15_000,
  afterCleanup: killStartedGroups,
});

// Helpers die by themselves shortly after the deadline even if this process is SIGKILLed.
const lifetimeS = deadlineS + 30;

/** The store, the servers (each checked to serve streams) and the client workers, all started. */
async function startFleet(plan: FleetPlan) {
  log(`store: starting dynalite`);
  const store = await startStore(lifetimeS);
  log(`servers: starting ${serverCount} serve process(es) on ${store.endpoint}`);
  const fleet = await startServers(serverCount, store.endpoint, {
    pollIntervalMs,
    maxConnections: MAX_CONNECTIONS,
    lifetimeS,
  });
  for (const server of fleet) {
    const probe = await probeStream(`${server.url}${STREAM_PATH}`);
    if (probe.status !== 200 || !probe.contentType.startsWith('text/event-stream'))
      throw new Error(`serve ${server.index + 1}: GET ${STREAM_PATH} answered ${probe.status} ${probe.contentType}`);
  }
  log(`servers: ${fleet.map((s) => s.url).join(', ')}`);
  const workers: FleetWorker[] = await Promise.all(
    plan.workers.map((worker) => {
      const server = fleet[worker.server];
      if (server === undefined) throw new Error(`worker ${worker.index}: no server ${worker.server}`);
      return startWorker(worker, { host: server.host, port: server.port, path: STREAM_PATH }, lifetimeS * 1000);
    }),
  );
  return { store, fleet, workers };
}

/** The report, on stdout, before anything is stopped: a slow stop cannot lose the figures. */
function printReport(plan: FleetPlan, figures: FleetFigures): Promise<void> {
  const args = process.argv.slice(2).join(' ');
  const command =
    process.env.npm_lifecycle_event === 'bench:fleet'
      ? `npm run bench:fleet${args === '' ? '' : ` -- ${args}`}`
      : `tsx scripts/bench-fleet.ts ${args}`.trim();
  const text = formatFleetReport({
    command,
    date: new Date().toISOString(),
    nodeVersion: process.versions.node,
    servers: serverCount,
    clients,
    events,
    pollIntervalMs,
    workers: plan.workers.map((w) => ({
      server: w.server,
      clients: w.clients,
      addresses: `${w.localAddresses[0] ?? ''}–${w.localAddresses.at(-1) ?? ''} (${w.localAddresses.length})`,
    })),
    openFilesLimit: openFilesLimit(),
    cores: availableParallelism(),
    figures,
  });
  return new Promise((done) =>
    process.stdout.write(text, () => {
      done();
    }),
  );
}

async function main(): Promise<void> {
  const plan = planFleet(clients, serverCount);
  const { store, fleet, workers } = await startFleet(plan);
  const remainingMs = deadlineS * 1000 - (performance.now() - started);
  const figures = await measureFleet(fleet, store.process, workers, {
    events,
    pollIntervalMs,
    ingestApiKey: INGEST_API_KEY,
    connectConcurrency: 500,
    connectTimeoutMs: 30_000,
    // Leave time for the idle window, the events and stopping within the deadline.
    connectBudgetMs: Math.max(10_000, Math.min(240_000, remainingMs - 60_000)),
    runTag: `fleet-${process.pid}-${Date.now().toString(36)}`,
    log,
  });
  await printReport(plan, figures);

  log('stopping clients, servers and store');
  await Promise.all(workers.map((w) => w.stop()));
  await Promise.all(fleet.map((s) => s.process.stop()));
  await store.process.stop();
  disarm();
  await runCleanup(10_000);
  killStartedGroups();
  // Keep-alive sockets of fetch would otherwise hold the process open for a few seconds.
  process.exit(0);
}

main().catch((error: unknown) => {
  log(`failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  abort('failure', 1);
});
