/**
 * `npm run bench`: SSE fan-out of tickerpulse against a minimal node:http floor, on loopback.
 *
 * Starts each server in turn (the floor, then tickerpulse on the embedded store), opens N stream
 * clients from several 127.0.0.x source addresses, publishes E items at a steady rate and prints
 * a Markdown table: time to connect all, server memory per connection, server CPU per delivery,
 * fan-out and latency, store queries per poll, lost and duplicated events, and tickerpulse's
 * figures as ratios to the floor. It prints figures and asserts nothing about timing.
 *
 * Every phase is bounded, and the whole run has a hard deadline after which it kills the servers
 * it started and exits non-zero. Options: `npm run bench -- --help` (COMMAND below).
 */
import { performance } from 'node:perf_hooks';
import { decimal, defineCommand, integer, oneOf, readCommandLine, text } from '../src/cli/usage.ts';
import { runCleanup } from './bench/cleanup.ts';
import { launchFloor } from './bench/floor-target.ts';
import { INSTALL_HINT, launchNchan } from './bench/nchan-target.ts';
import { formatReport, type ServerResult } from './bench/report.ts';
import { measureStream, type RunSettings, type StreamFigures } from './bench/stream-run.ts';
import { guardRun, openFilesLimit } from './bench/run-guard.ts';
import { launchTickerpulse, type LaunchedTickerpulse } from './bench/tickerpulse-target.ts';

const COMMAND = defineCommand({
  command: 'npm run bench',
  summary:
    'SSE fan-out of tickerpulse against a minimal node:http floor, on loopback: starts each server in turn ' +
    '(the floor, then src/main.ts on the embedded store), opens --clients streams from several 127.0.0.x ' +
    'addresses, publishes --events items at --rate per second and prints a Markdown table of connect time, ' +
    'memory and CPU per connection and delivery, fan-out and latency, store queries per poll, and lost or ' +
    'duplicated events. It reports figures and asserts nothing about timing. Exits 3 when --deadline-s is ' +
    'reached, after stopping everything it started.',
  options: {
    // Each client is one socket in this process and one in the server, both under the 20,000
    // open-files limit, with room left for the store, the publisher and stdio.
    clients: { value: '<n>', description: 'Concurrent stream clients.', rule: integer(1, 18_000), default: '10000' },
    events: { value: '<n>', description: 'Items published.', rule: integer(1, 1000), default: '10' },
    rate: { value: '<per-s>', description: 'Items published per second.', rule: decimal(0.1, 100), default: '1' },
    'deadline-s': {
      value: '<s>',
      description: 'Hard deadline of the whole run.',
      rule: decimal(10, 3600),
      default: '480',
    },
    only: {
      value: '<server>',
      description: 'Measure one server only (default: all three, the peer when it is installed).',
      rule: oneOf(['floor', 'nchan', 'tickerpulse']),
    },
    'profile-dir': {
      value: '<dir>',
      description:
        "Write a CPU profile of tickerpulse's server (Node's --cpu-prof, main thread and store thread) into this directory; profiling slows the server, so its figures are not comparable.",
      rule: text('a directory'),
    },
  },
  notes: [
    'Environment: tickerpulse runs with PORT=0, HOST=127.0.0.1, LOG_LEVEL=warn, SIMULATE=0, ' +
      'MAX_CONNECTIONS=20000, POLL_INTERVAL_MS=1000, HEARTBEAT_INTERVAL_MS=30000 and its own INGEST_API_KEY; ' +
      'every other variable of npm start (see npm start -- --help) passes through to it.',
    'Raise the open-files limit (ulimit -n) above --clients plus 100, or expect EMFILE failures.',
    `The peer, nginx + Nchan, runs when it is installed (${INSTALL_HINT}); without it the benchmark says so and goes on.`,
  ],
});

const { clients, events, rate, 'deadline-s': deadlineS, only, 'profile-dir': profileDir } = readCommandLine(COMMAND);
const nodeMajor = Number(process.versions.node.split('.')[0]);
if (nodeMajor < 24) {
  // The servers are spawned with this process's Node and run .ts files natively, which needs 24.
  process.stderr.write(`Node ${process.versions.node}: run with Node 24 (npm run bench uses node_modules/.bin/node)\n`);
  process.exit(2);
}

const { started, log, disarm } = guardRun({
  deadlineS,
  stopping: 'servers and clients',
  cleanupMs: 20_000,
});
const deadlineMs = deadlineS * 1000;

const openFiles = openFilesLimit();
if (openFiles !== undefined && openFiles < clients + 100) {
  log(`warning: open-files limit ${openFiles} is below ${clients} clients + headroom; expect EMFILE failures`);
}

const localAddresses = Array.from({ length: 8 }, (_, i) => `127.0.0.${i + 1}`);
const settingsFor = (): RunSettings => ({
  clients,
  events,
  rate,
  localAddresses,
  connectConcurrency: 500,
  connectTimeoutMs: 15_000,
  // Leave time for the remaining phases of both servers within the deadline.
  connectBudgetMs: Math.max(10_000, Math.min(180_000, (deadlineMs - (performance.now() - started)) / 3)),
  runTag: `${process.pid}-${Date.now().toString(36)}`,
  log,
});

let floor: StreamFigures | undefined;
let peer: ServerResult = { kind: 'skipped' };
let tickerpulse: ServerResult = { kind: 'skipped' };

if (only === undefined || only === 'floor') {
  log('floor: starting');
  const launched = await launchFloor();
  try {
    floor = await measureStream(launched.target, settingsFor());
  } finally {
    log('floor: stopping');
    await launched.stop();
  }
}

if (only === undefined || only === 'nchan') {
  log('nchan: starting');
  const launched = await launchNchan();
  if (launched.available) {
    try {
      peer = { kind: 'measured', figures: await measureStream(launched.target, settingsFor()) };
    } finally {
      log('nchan: stopping');
      await launched.stop();
    }
  } else {
    log(`nchan: not available (${launched.reason})`);
    peer = { kind: 'unavailable', reason: launched.reason };
  }
}

if (only === undefined || only === 'tickerpulse') {
  log('tickerpulse: starting (embedded store, seeding demo items)');
  let launched: LaunchedTickerpulse | undefined;
  try {
    launched = await launchTickerpulse(profileDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${profileDir}`]);
  } catch (error) {
    log(`tickerpulse: server did not start: ${String(error)}`);
    tickerpulse = { kind: 'unavailable', reason: 'server did not start (see log)' };
  }
  if (launched !== undefined) {
    try {
      if (launched.available) {
        if (!launched.hasFeedCounters)
          log('tickerpulse: GET /metrics has no feed counters; queries/poll not available');
        tickerpulse = { kind: 'measured', figures: await measureStream(launched.target, settingsFor()) };
      } else {
        log(`tickerpulse: not available (${launched.reason})`);
        tickerpulse = { kind: 'unavailable', reason: launched.reason };
      }
    } finally {
      log('tickerpulse: stopping');
      await launched.stop();
    }
  }
}

disarm();
await runCleanup(10_000);
const args = process.argv.slice(2).join(' ');
const command =
  process.env.npm_lifecycle_event === 'bench'
    ? `npm run bench${args === '' ? '' : ` -- ${args}`}`
    : `tsx scripts/bench-stream.ts ${args}`.trim();
process.stdout.write(
  formatReport({
    command,
    nodeVersion: process.versions.node,
    clients,
    events,
    rate,
    localAddresses,
    openFilesLimit: openFiles,
    floor,
    peer,
    tickerpulse,
  }),
  () => {
    // Keep-alive sockets of fetch would otherwise hold the process open for a few seconds.
    process.exit(0);
  },
);
