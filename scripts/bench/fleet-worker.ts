/**
 * One client worker process of the fleet benchmark: an SseClientPool of up to ~18,000 streams to
 * one server, driven over IPC by scripts/bench-fleet.ts (fleet-protocol.ts). A process of its own
 * because the open-descriptor limit is per process, and so that the clients use both cores.
 *
 * It cannot outlive the benchmark: it exits when the IPC channel closes (the parent is gone) and
 * at the end of its own lifetime, whatever the parent does.
 */
import { performance } from 'node:perf_hooks';
import { sharedClockMs, type WorkerConfig, type WorkerReply, type WorkerRequest } from './fleet-protocol.ts';
import { SseClientPool } from './sse-clients.ts';

const config = JSON.parse(process.argv[2] ?? '{}') as WorkerConfig;
const send = process.send?.bind(process);
if (send === undefined) throw new Error('fleet-worker.ts runs as a child with an IPC channel');

// performance.now() of this process → the machine-wide clock; both are monotonic, so fixed.
const clockOffset = sharedClockMs() - performance.now();

const pool = new SseClientPool({
  host: config.host,
  port: config.port,
  path: config.path,
  localAddresses: config.localAddresses,
});

function exit(code: number): void {
  pool.close();
  process.exit(code);
}

setTimeout(() => {
  process.stderr.write(`fleet worker ${process.pid}: lifetime of ${config.lifetimeMs} ms reached\n`);
  exit(4);
}, config.lifetimeMs).unref();
process.on('disconnect', () => {
  exit(0);
});

async function answer(request: WorkerRequest): Promise<WorkerReply> {
  const { id } = request;
  switch (request.type) {
    case 'connect': {
      const startedAt = sharedClockMs();
      const outcome = await pool.connect({
        count: config.clients,
        concurrency: request.concurrency,
        timeoutMs: request.timeoutMs,
        budgetMs: request.budgetMs,
      });
      return {
        id,
        type: 'connect',
        connected: outcome.connected,
        failed: outcome.failed,
        failures: Object.fromEntries(outcome.failures),
        startedAt,
        lastReadyAt: startedAt + outcome.connectAllMs,
      };
    }
    case 'expect':
      pool.expectItems(request.itemIds);
      return { id, type: 'expect' };
    case 'progress': {
      const counters = pool.counters();
      return {
        id,
        type: 'progress',
        unique: counters.unique,
        duplicates: counters.duplicates,
        live: pool.liveClients(),
        dropped: pool.dropped(),
        unexpectedItems: pool.received().unexpectedItems,
      };
    }
    case 'times': {
      const times = request.itemIds.map((itemId) => pool.receivedTimes(itemId).map((t) => t + clockOffset));
      return { id, type: 'times', times };
    }
    case 'close':
      pool.close();
      return { id, type: 'close' };
  }
}

process.on('message', (request: WorkerRequest) => {
  answer(request).then(send, (error: unknown) => {
    send({ id: request.id, type: 'error', message: String(error) } satisfies WorkerReply);
  });
});
send({ id: 0, type: 'ready' } satisfies WorkerReply);
