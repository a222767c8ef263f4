/**
 * `npm run mock`: the whole API mocked from the contracts, for dashboard work without a backend.
 *
 *   REST       http://127.0.0.1:4010   Prism mock of specs/openapi.yaml (examples; CORS on), behind
 *                                      a proxy that makes its 400s say what is wrong
 *   SSE        http://127.0.0.1:4011   mock streams built from the specs/asyncapi.yaml examples
 *   dashboard  http://127.0.0.1:4011/  src/dashboard served by the SSE mock, its /config.js and
 *                                      Content-Security-Policy pointing at both mocks
 *
 * Both honour `Prefer: code=<status>` (Prism's convention) for any status the contract documents;
 * the SSE mock also `Prefer: scenario=reconnect|stream_closed|degraded`. Runs until Ctrl-C,
 * SIGTERM or SIGINT (to this process, or to the npm process that started it: launcher-watch.ts),
 * or `--duration` seconds, and stops everything it started within STOP_DEADLINE_MS.
 * Options: `npm run mock -- --help` (COMMAND below).
 */
import { decimal, defineCommand, integer, readCommandLine, refuse } from '../src/cli/usage.ts';
import { watchLaunchers } from './mock/launcher-watch.ts';
import type { PrismMock } from './mock/prism.ts';
import type { MockSseServer } from './mock/sse-server.ts';

const HOST = '127.0.0.1';
/** Past this, a stop that has not finished exits anyway (Prism is killed on exit). */
const STOP_DEADLINE_MS = 1500;

const COMMAND = defineCommand({
  command: 'npm run mock',
  summary:
    'Mock REST API (Prism, answering from the examples of specs/openapi.yaml, CORS on) and a mock SSE server ' +
    'streaming events built from the examples of specs/asyncapi.yaml, both on 127.0.0.1, for dashboard work ' +
    'without a backend or database; the SSE mock also serves the dashboard, wired to both. Runs until Ctrl-C ' +
    'or SIGTERM, or for --duration seconds.',
  options: {
    'rest-port': {
      value: '<port>',
      description: 'Port of the REST mock.',
      rule: integer(1, 65_535),
      default: '4010',
      env: 'MOCK_REST_PORT',
    },
    'sse-port': {
      value: '<port>',
      description: 'Port of the SSE mock.',
      rule: integer(1, 65_535),
      default: '4011',
      env: 'MOCK_SSE_PORT',
    },
    interval: {
      value: '<ms>',
      description: 'Time between new_item events.',
      rule: integer(10, 3_600_000),
      default: '1000',
    },
    heartbeat: {
      value: '<ms>',
      description: 'Time between heartbeat events.',
      rule: integer(1000, 60_000),
      default: '15000',
    },
    // setTimeout fires at once beyond 2^31 - 1 ms, so the run is capped at a day.
    duration: {
      value: '<s>',
      description: 'Stop after this many seconds (default: run until stopped).',
      rule: decimal(0.1, 86_400),
    },
    seed: { value: '<n>', description: 'Seed of the item variations.', rule: integer(0, 2 ** 32 - 1), default: '1' },
  },
  notes: [
    'Open http://127.0.0.1:<sse-port>/ for the dashboard against both mocks. Any status an operation ' +
      'documents can be asked of either mock with the header Prefer: code=<status> (or ?__code=<status>).',
    'A stream plays an edge on request: Prefer: scenario=reconnect, stream_closed or degraded (or ?__scenario=).',
  ],
});

const options = readCommandLine(COMMAND);
const restPort = options['rest-port'];
const ssePort = options['sse-port'];
if (restPort === ssePort) refuse(COMMAND, `the REST and SSE ports must differ (both are ${restPort})`);
const { interval: intervalMs, heartbeat: heartbeatMs, duration: durationS, seed } = options;
// Loaded after the command line is read (the contract validators take a while), so --help answers at once.
const [{ killPrismsNow, startPrismMock }, { startMockSseServer }] = await Promise.all([
  import('./mock/prism.ts'),
  import('./mock/sse-server.ts'),
]);

let sse: MockSseServer | undefined;
let prism: PrismMock | undefined;
let stopping: Promise<never> | undefined;

// Signals sent to npm alone do not reach this process: it watches npm instead.
const launchers = watchLaunchers(
  (description) => void shutdown(0, `npm run mock was stopped (${description}): stopping the mocks`),
);

/** Stops both mocks (each at most once) and exits with `code`, within STOP_DEADLINE_MS whatever happens. */
function shutdown(code: number, reason: string): Promise<never> {
  stopping ??= (async () => {
    process.stderr.write(`${reason}\n`);
    launchers.stop();
    setTimeout(() => process.exit(code), STOP_DEADLINE_MS).unref();
    await Promise.allSettled([sse?.close(), prism?.close()]);
    process.exit(code);
  })();
  return stopping;
}

// Ctrl-C reaches Prism too (same process group); stopChild copes with a child already gone. A
// signal may come twice (tsx passes on what the group already got): `on`, not `once`, so that the
// second one does not kill this process before Prism is stopped.
process.on('SIGINT', () => void shutdown(0, '\nSIGINT: stopping the mocks'));
process.on('SIGTERM', () => void shutdown(0, 'SIGTERM: stopping the mocks'));
// Also a Prism still starting when the stop came (it is in no variable yet).
process.once('exit', killPrismsNow);
process.once('uncaughtException', (error) => void shutdown(1, `mock failed: ${error.stack ?? error.message}`));

const [sseStarted, prismStarted] = await Promise.allSettled([
  startMockSseServer({
    port: ssePort,
    host: HOST,
    intervalMs,
    heartbeatMs,
    seed,
    restBaseUrl: `http://${HOST}:${restPort}`,
    onError: (error) => void shutdown(1, `mock SSE server stopped: ${error.message}`),
  }),
  startPrismMock({
    port: restPort,
    host: HOST,
    onExit: (description) => void shutdown(1, description),
  }),
]);
if (sseStarted.status === 'fulfilled') sse = sseStarted.value;
if (prismStarted.status === 'fulfilled') prism = prismStarted.value;
if (sse === undefined || prism === undefined) {
  const failures = [sseStarted, prismStarted].flatMap((result) =>
    result.status === 'rejected'
      ? [String(result.reason instanceof Error ? result.reason.message : result.reason)]
      : [],
  );
  await shutdown(1, `npm run mock could not start:\n${failures.join('\n')}`);
} else {
  process.stdout.write(
    [
      'tickerpulse mock is up (loopback only):',
      `  dashboard  ${sse.dashboardUrl ?? `${sse.url}/`}  open this: the dashboard, wired to both mocks`,
      `  REST       ${prism.url}   Prism mock of specs/openapi.yaml, e.g. ${prism.url}/api/v2/metrics`,
      `  SSE        ${sse.url}   /api/v2/stream and /api/v2/configurations/{id}/stream, built from the`,
      `             specs/asyncapi.yaml examples: new_item every ${intervalMs} ms, heartbeat every ${heartbeatMs} ms;`,
      `             configurations: those GET ${prism.url}/api/v2/configurations lists, each its own tickers`,
      '  Any documented status of any operation, from either mock: send the header Prefer: code=<status>.',
      '  A stream edge: Prefer: scenario=reconnect|stream_closed|degraded, or ?__scenario= for an EventSource.',
      durationS === undefined ? 'Ctrl-C to stop.' : `Stopping by itself after ${durationS} s.`,
      '',
    ].join('\n'),
  );
  if (durationS !== undefined) {
    setTimeout(() => void shutdown(0, `--duration ${durationS} s reached: stopping the mocks`), durationS * 1000);
  }
}
