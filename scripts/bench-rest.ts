/**
 * `npm run bench:rest`: latency and throughput of the REST hot paths against the embedded store,
 * on loopback, each for a bounded time:
 * - GET /api/v2/metrics (the aggregate view, refreshed at most once a second);
 * - GET /api/v2/metrics/history, both bucket sizes, with and without a ticker;
 * - POST /api/v2/items with a batch of 25 new items (the full idempotent ingest path);
 * then what an ingested item costs the store in writes, batched and single (bench/write-cost.ts).
 * Prints Markdown tables for the docs. Options: `npm run bench:rest -- --help` (COMMAND below).
 */
import type autocannon from 'autocannon';
import { defineCommand, integer, readCommandLine } from '../src/cli/usage.ts';

const COMMAND = defineCommand({
  command: 'npm run bench:rest',
  summary:
    'Latency and throughput of GET /api/v2/metrics, of GET /api/v2/metrics/history (bucket 1h and 5m, with and ' +
    'without ticker) and of POST /api/v2/items (batches of 25 new items), ' +
    'each for --duration seconds, against a local server (src/main.ts on the embedded store) started for ' +
    'the run on 127.0.0.1; then the store writes per ingested item (write requests, write units as ' +
    'DynamoDB bills them, the hottest partition key), for 25-item batches and single items over 25 tickers, ' +
    'counted on the store client until the fold has absorbed every item. Prints Markdown tables; exits 1 if ' +
    'any request failed or was not 2xx, or a write-cost target was missed.',
  options: {
    duration: { value: '<s>', description: 'Seconds per endpoint.', rule: integer(1, 60), default: '10' },
    connections: { value: '<n>', description: 'Concurrent connections.', rule: integer(1, 200), default: '10' },
  },
  notes: [
    'Environment: the server runs with PORT=0, HOST=127.0.0.1, LOG_LEVEL=warn, SIMULATE=0 and its own ' +
      'INGEST_API_KEY; every other variable of npm start (see npm start -- --help) passes through to it, ' +
      'e.g. DATA_DIR or DYNAMODB_ENDPOINT.',
  ],
});

const { duration, connections } = readCommandLine(COMMAND);
// Loaded after the command line is read, so that --help answers at once.
const [{ default: loadTest }, { startServerProcess }, { measureWriteCost, meetsTargets, writeCostTable }] =
  await Promise.all([import('autocannon'), import('./bench/server-process.ts'), import('./bench/write-cost.ts')]);

interface Row {
  readonly name: string;
  readonly result: autocannon.Result;
}

let sequence = 0;
function batchOf25(): string {
  const now = new Date().toISOString();
  const items = Array.from({ length: 25 }, () => {
    sequence += 1;
    return {
      item_id: `bench-${process.pid}-${sequence}`,
      ticker: ['AAPL', 'MSFT', 'NVDA', 'TSLA', 'AMZN'][sequence % 5],
      sentiment: ['positive', 'neutral', 'negative'][sequence % 3],
      score: ((sequence % 200) - 100) / 100,
      timestamp: now,
    };
  });
  return JSON.stringify({ items });
}

const server = await startServerProcess({});
const rows: Row[] = [];
try {
  // Both target the loopback server started above; autocannon stops itself after `duration`.
  rows.push({
    name: 'GET /api/v2/metrics',
    result: await loadTest({ url: `${server.url}/api/v2/metrics`, connections, duration }),
  });
  // AAPL is one of the demo tickers, so its history has items.
  for (const query of ['bucket=1h', 'bucket=1h&ticker=AAPL', 'bucket=5m', 'bucket=5m&ticker=AAPL']) {
    rows.push({
      name: `GET /api/v2/metrics/history?${query}`,
      result: await loadTest({ url: `${server.url}/api/v2/metrics/history?${query}`, connections, duration }),
    });
  }
  rows.push({
    name: 'POST /api/v2/items (25 items)',
    result: await loadTest({
      url: `${server.url}/api/v2/items`,
      connections,
      duration,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': server.ingestApiKey },
          setupRequest: (request) => ({ ...request, body: batchOf25() }),
        },
      ],
    }),
  });
} finally {
  await server.stop();
}

const lines = [
  `REST benchmark: embedded dynalite, ${connections} connections, ${duration} s per endpoint, Node ${process.versions.node}`,
  '',
  '| endpoint | requests/s (mean) | p50 ms | p99 ms | max ms | non-2xx | errors |',
  '|---|---|---|---|---|---|---|',
  ...rows.map(
    ({ name, result }) =>
      `| ${name} | ${result.requests.average.toFixed(0)} | ${result.latency.p50} | ${result.latency.p99} | ${result.latency.max} | ${result.non2xx} | ${result.errors} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n\n`);
if (rows.some(({ result }) => result.non2xx > 0 || result.errors > 0)) process.exitCode = 1;

const costs = await measureWriteCost();
process.stdout.write(`${writeCostTable(costs).join('\n')}\n`);
if (!meetsTargets(costs)) process.exitCode = 1;
