/**
 * Init of each bundle under AWS's runtime interface client, as Lambda counts it: from the start
 * of the runtime process to its first GET /invocation/next (Node, the runtime, the import of the
 * bundle), median of 3 fresh processes; an empty handler gives the runtime's own share. Then the
 * first invocation, which builds what the handlers build lazily (configuration, clients, app).
 * Printed, never asserted: a loaded machine blurs wall-clock figures (docs/aws.md records them).
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { functionUrlEvent } from '../../support/lambda-wire.ts';
import { type RicRuntime, startRicFunction, type TaskRoots } from '../../support/ric-function.ts';
import { type RicBed, startRicBed } from '../../support/ric-bed.ts';
import { percentile } from '../../support/ric-write-delays.ts';
import { TEST_INGEST_KEY, TEST_JWT_SECRET } from '../../support/test-server.ts';
import type { TestStore } from '../../support/test-store.ts';

const RUNS = 3;

let t: TestStore;
let roots: TaskRoots;
let runtime: RicRuntime;
let bed: RicBed | undefined;

beforeAll(async () => {
  bed = await startRicBed();
  ({ runtime, roots, store: t } = bed);
}, 180_000);
afterAll(async () => {
  await bed?.close();
});

interface Measured {
  readonly initMs: number;
  readonly firstInvocationMs: number;
  readonly secondInvocationMs: number;
}

/** One fresh process: init, then the same cheap event twice (a refusal that reads no data). */
async function measure(taskRoot: string, event: unknown): Promise<Measured> {
  const fn = await startRicFunction({
    runtime,
    taskRoot,
    env: {
      DYNAMODB_ENDPOINT: t.dynalite.endpoint,
      TABLE_NAME: t.tableName,
      INGEST_API_KEY: TEST_INGEST_KEY,
      // As in production: JWT auth (the secret comes from SSM there).
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      STREAM_TOKEN_SECRET: 'lambda-test-stream-token-secret-000000000000',
      LOG_LEVEL: 'warn',
      POWERTOOLS_METRICS_DISABLED: 'true',
      POWERTOOLS_TRACE_ENABLED: 'false',
    },
  });
  try {
    const initMs = await fn.initMs();
    const timed = async () => {
      const started = process.hrtime.bigint();
      const result = await fn.invoke(event, { remainingMs: 10_000 });
      expect(result.outcome, result.body.toString('utf8')).toBe('response');
      return Number(result.endedAt - started) / 1e6;
    };
    const firstInvocationMs = await timed();
    const secondInvocationMs = await timed();
    expect(fn.api.initErrors).toEqual([]);
    return { initMs, firstInvocationMs, secondInvocationMs };
  } finally {
    await fn.stop();
  }
}

it(`measures init and first invocation of each bundle (median of ${RUNS} fresh processes)`, async () => {
  const bundles: [string, string, unknown][] = [
    ['empty handler', roots.empty, {}],
    ['dist/lambda/rest/index.mjs', roots.rest, functionUrlEvent('GET', '/api/v2/nothing')],
    ['dist/lambda/stream/index.mjs', roots.stream, functionUrlEvent('GET', '/api/v2/metrics')],
  ];
  const rows: string[] = [];
  for (const [name, taskRoot, event] of bundles) {
    const runs: Measured[] = [];
    for (let run = 0; run < RUNS; run += 1) runs.push(await measure(taskRoot, event));
    const median = (pick: (m: Measured) => number) => percentile(runs.map(pick), 50).toFixed(0);
    rows.push(
      `| ${name} | ${median((m) => m.initMs)} ms | ${median((m) => m.firstInvocationMs)} ms | ${median((m) => m.secondInvocationMs)} ms |`,
    );
  }
  console.log(
    [
      `aws-lambda-ric (${runtime.native} native client), Node ${process.versions.node}, median of ${RUNS}` +
        (runtime.native === 'stand-in' ? " (a first buffered result waits for the stand-in's worker to start)" : ''),
      '| bundle | init (process start → first GET /next) | first invocation | second invocation |',
      '|---|---|---|---|',
      ...rows,
    ].join('\n'),
  );
}, 120_000);
