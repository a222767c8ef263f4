/**
 * `npm run bench:rest`: latency and throughput of two REST hot paths against the embedded store,
 * on loopback, each for a bounded time:
 * - GET /api/v2/metrics (two counter Queries per request);
 * - POST /api/v2/items with a batch of 25 new items (the full idempotent ingest path).
 * Prints a Markdown table for the README. Options: --duration <s> (default 10), --connections <n> (default 10).
 */
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { startServerProcess } from './bench/server-process.ts';

const { values } = parseArgs({
  options: { duration: { type: 'string', default: '10' }, connections: { type: 'string', default: '10' } },
});
const duration = Math.min(60, Math.max(1, Number(values.duration)));
const connections = Math.min(200, Math.max(1, Number(values.connections)));

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
    result: await autocannon({ url: `${server.url}/api/v2/metrics`, connections, duration }),
  });
  rows.push({
    name: 'POST /api/v2/items (25 items)',
    result: await autocannon({
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
process.stdout.write(`${lines.join('\n')}\n`);
if (rows.some(({ result }) => result.non2xx > 0 || result.errors > 0)) process.exitCode = 1;
