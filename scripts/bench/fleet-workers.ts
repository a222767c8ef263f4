/**
 * The parent's side of the client worker processes (fleet-worker.ts): starts one per WorkerPlan,
 * each in its own process group that the benchmark's cleanup and deadline end, and turns the IPC
 * exchange into typed, time-bounded requests.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { adoptGroup } from './bounded-process.ts';
import { onCleanup } from './cleanup.ts';
import type { WorkerPlan } from './fleet-plan.ts';
import type { WorkerConfig, WorkerReply, WorkerRequest } from './fleet-protocol.ts';

type RequestType = WorkerRequest['type'];
type RequestOf<T extends RequestType> = Omit<Extract<WorkerRequest, { type: T }>, 'id'>;
type ReplyOf<T extends RequestType> = Extract<WorkerReply, { type: T }>;

const WORKER_ENTRY = resolve(import.meta.dirname, 'fleet-worker.ts');
const READY_TIMEOUT_MS = 30_000;
const STOP_GRACE_MS = 5_000;

/** One running client worker. */
class FleetWorker {
  readonly plan: WorkerPlan;
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, (reply: WorkerReply) => void>();
  #nextId = 1;
  #exited: Promise<void>;

  constructor(plan: WorkerPlan, child: ChildProcess) {
    this.plan = plan;
    this.#child = child;
    this.#exited = new Promise((done) => {
      child.once('exit', () => {
        done();
      });
    });
    child.on('message', (reply: WorkerReply) => {
      this.#pending.get(reply.id)?.(reply);
      this.#pending.delete(reply.id);
    });
  }

  get pid(): number {
    return this.#child.pid ?? 0;
  }

  /** Sends `message` and resolves with its reply; rejects on an error reply, an exit or after `timeoutMs`. */
  request<T extends RequestType>(message: RequestOf<T>, timeoutMs: number): Promise<ReplyOf<T>> {
    const id = this.#nextId++;
    return new Promise<ReplyOf<T>>((done, fail) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        fail(new Error(`worker ${this.plan.index}: no answer to ${message.type} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(id, (reply) => {
        clearTimeout(timer);
        if (reply.type === 'error') fail(new Error(`worker ${this.plan.index}: ${reply.message}`));
        else done(reply as ReplyOf<T>);
      });
      void this.#exited.then(() => {
        clearTimeout(timer);
        fail(new Error(`worker ${this.plan.index} exited`));
      });
      this.#child.send({ ...message, id });
    });
  }

  /** Disconnects (the worker closes its sockets and exits), then SIGKILLs its group after a grace. */
  async stop(): Promise<void> {
    if (this.#child.connected) this.#child.disconnect();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.#exited, new Promise((done) => (timer = setTimeout(done, STOP_GRACE_MS)))]);
    clearTimeout(timer);
    // Never -0: that would signal this process's own group.
    if (this.pid <= 0) return;
    try {
      process.kill(-this.pid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
}

/** Starts one worker for `plan`, connecting to `host:port` `path`, and waits for it to be ready. */
async function startWorker(
  plan: WorkerPlan,
  target: { readonly host: string; readonly port: number; readonly path: string },
  lifetimeMs: number,
): Promise<FleetWorker> {
  const config: WorkerConfig = { ...target, clients: plan.clients, localAddresses: plan.localAddresses, lifetimeMs };
  const child = spawn(process.execPath, [WORKER_ENTRY, JSON.stringify(config)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    serialization: 'advanced',
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`worker ${plan.index} did not start`);
  const release = adoptGroup(child.pid);
  const worker = new FleetWorker(plan, child);
  const unregister = onCleanup(() => worker.stop());
  void new Promise<void>((done) =>
    child.once('exit', () => {
      done();
    }),
  ).then(() => {
    release();
    unregister();
  });
  await new Promise<void>((done, fail) => {
    const timer = setTimeout(() => {
      fail(new Error(`worker ${plan.index} not ready within ${READY_TIMEOUT_MS} ms`));
    }, READY_TIMEOUT_MS);
    child.once('message', () => {
      clearTimeout(timer);
      done();
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`worker ${plan.index} exited with ${String(code)} before it was ready`));
    });
  });
  return worker;
}

export { FleetWorker, startWorker };
