/**
 * `npm run mock`: the whole API mocked from the contracts, for dashboard work without a backend.
 *
 *   REST  http://127.0.0.1:4010  Prism mock of specs/openapi.yaml (examples; CORS on)
 *   SSE   http://127.0.0.1:4011  mock streams built from the specs/asyncapi.yaml examples
 *
 * Point the dashboard's config.js at them: REST_BASE_URL=http://127.0.0.1:4010,
 * STREAM_BASE_URL=http://127.0.0.1:4011. Runs until Ctrl-C / SIGTERM, or `--duration` seconds.
 *
 * Options (flags win over the environment): --rest-port (MOCK_REST_PORT, 4010), --sse-port
 * (MOCK_SSE_PORT, 4011), --interval ms between items (1000), --heartbeat ms (15000),
 * --duration s (run forever), --seed n (1).
 */
import { parseArgs } from 'node:util';
import { type PrismMock, startPrismMock } from './mock/prism.ts';
import { type MockSseServer, startMockSseServer } from './mock/sse-server.ts';

const HOST = '127.0.0.1';

const { values } = parseArgs({
  options: {
    'rest-port': { type: 'string' },
    'sse-port': { type: 'string' },
    interval: { type: 'string', default: '1000' },
    heartbeat: { type: 'string', default: '15000' },
    duration: { type: 'string' },
    seed: { type: 'string', default: '1' },
  },
  strict: true,
});

function usage(message: string): never {
  process.stderr.write(`npm run mock: ${message}\n`);
  process.exit(2);
}

/** `text` as an integer in [min, max], or a usage error naming `name`. */
function integer(name: string, text: string, min: number, max: number): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < min || value > max)
    usage(`${name} must be an integer in [${min}, ${max}], got "${text}"`);
  return value;
}

const restPort = integer(
  '--rest-port / MOCK_REST_PORT',
  values['rest-port'] ?? process.env.MOCK_REST_PORT ?? '4010',
  1,
  65535,
);
const ssePort = integer(
  '--sse-port / MOCK_SSE_PORT',
  values['sse-port'] ?? process.env.MOCK_SSE_PORT ?? '4011',
  1,
  65535,
);
if (restPort === ssePort) usage(`the REST and SSE ports must differ (both are ${restPort})`);
const intervalMs = integer('--interval', values.interval, 10, 3_600_000);
const heartbeatMs = integer('--heartbeat', values.heartbeat, 1000, 60_000);
const durationS = values.duration === undefined ? undefined : Number(values.duration);
if (durationS !== undefined && !(Number.isFinite(durationS) && durationS > 0))
  usage(`--duration must be a positive number of seconds`);
const seed = integer('--seed', values.seed, 0, 2 ** 32 - 1);

let sse: MockSseServer | undefined;
let prism: PrismMock | undefined;
let stopping: Promise<never> | undefined;

/** Stops both mocks (each at most once) and exits with `code`. */
function shutdown(code: number, reason: string): Promise<never> {
  stopping ??= (async () => {
    process.stderr.write(`${reason}\n`);
    await Promise.allSettled([sse?.close(), prism?.close()]);
    process.exit(code);
  })();
  return stopping;
}

// Ctrl-C reaches Prism too (same process group); stopChild copes with a child already gone.
process.once('SIGINT', () => void shutdown(0, '\nSIGINT: stopping the mocks'));
process.once('SIGTERM', () => void shutdown(0, 'SIGTERM: stopping the mocks'));
process.once('exit', () => prism?.killNow());
process.once('uncaughtException', (error) => void shutdown(1, `mock failed: ${error.stack ?? error.message}`));

const [sseStarted, prismStarted] = await Promise.allSettled([
  startMockSseServer({
    port: ssePort,
    host: HOST,
    intervalMs,
    heartbeatMs,
    seed,
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
      `  REST  ${prism.url}  Prism mock of specs/openapi.yaml, e.g. ${prism.url}/api/v2/metrics`,
      `  SSE   ${sse.url}  ${sse.url}/api/v2/stream and /api/v2/configurations/{id}/stream,`,
      `        built from the specs/asyncapi.yaml examples: new_item every ${intervalMs} ms, heartbeat every ${heartbeatMs} ms`,
      'Dashboard config.js:',
      `  REST_BASE_URL=${prism.url}`,
      `  STREAM_BASE_URL=${sse.url}`,
      durationS === undefined ? 'Ctrl-C to stop.' : `Stopping by itself after ${durationS} s.`,
      '',
    ].join('\n'),
  );
  if (durationS !== undefined) {
    setTimeout(() => void shutdown(0, `--duration ${durationS} s reached: stopping the mocks`), durationS * 1000);
  }
}
