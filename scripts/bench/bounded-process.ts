/**
 * A benchmark's long-lived helper process (the store, a server) that cannot outlive the run: it
 * runs under coreutils `timeout -s KILL`, in its own process group. Even when the benchmark
 * itself is SIGKILLed and no cleanup runs, the kernel-side bound ends it; normally `stop()`
 * (SIGTERM, then SIGKILL to the whole group) or `killStartedGroups()` does.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { onCleanup } from './cleanup.ts';

interface BoundedOptions {
  readonly env: Record<string, string>;
  readonly cwd?: string;
  /** After this many seconds `timeout` SIGKILLs the program whatever happens. */
  readonly lifetimeS: number;
  /** A line of its output that says it is up; its first capture group is returned. */
  readonly ready: RegExp;
  readonly readyTimeoutMs: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL. */
  readonly stopGraceMs: number;
}

interface BoundedProcess {
  /** The program's own pid (not `timeout`'s), for /proc readings. */
  readonly pid: number;
  /** What `ready` captured, e.g. a URL. */
  readonly readyValue: string;
  /** The last few KiB of its stdout and stderr. */
  output(): string;
  /** SIGTERM (forwarded by `timeout`), SIGKILL to the group after the grace; safe to call more than once. */
  stop(): Promise<void>;
}

const OUTPUT_TAIL_CHARS = 16 * 1024;
const CHILD_LOOKUP_MS = 5_000;

/** Process groups started here and not yet known to be gone. */
const groups = new Set<number>();

/** Counts `group` (a child spawned detached) among those `killStartedGroups()` ends. */
function adoptGroup(group: number): () => void {
  // A group id of 0 would make killStartedGroups() signal this process's own group.
  if (!Number.isInteger(group) || group <= 0) throw new Error(`not a process group: ${group}`);
  groups.add(group);
  return () => {
    groups.delete(group);
  };
}

/** SIGKILLs every process group started here: the last resort of the deadline and of failures. */
function killStartedGroups(): void {
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  groups.clear();
}

/** The first child of `pid` (the program `timeout` runs), from /proc. */
async function childOf(pid: number): Promise<number> {
  const giveUpAt = performance.now() + CHILD_LOOKUP_MS;
  while (performance.now() < giveUpAt) {
    try {
      const first = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(' ')[0];
      if (first !== undefined && first !== '') return Number(first);
    } catch {
      // Not there yet, or already gone: retried until the bound.
    }
    await sleep(10);
  }
  throw new Error(`no child of pid ${pid} within ${CHILD_LOOKUP_MS} ms`);
}

function exitOf(child: ChildProcess): Promise<void> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) done();
    else
      child.once('exit', () => {
        done();
      });
  });
}

async function stopGroup(child: ChildProcess, graceMs: number): Promise<void> {
  const group = child.pid;
  if (group === undefined) return;
  const exited = exitOf(child);
  child.kill('SIGTERM');
  const late = await Promise.race([exited.then(() => false), sleep(graceMs).then(() => true)]);
  // Grandchildren (a worker thread's process has none, but a shell would) go with the group.
  try {
    process.kill(-group, 'SIGKILL');
  } catch {
    // Already gone.
  }
  if (late) await exited;
  groups.delete(group);
}

/** Starts `command args` bounded as above and resolves once its output matches `options.ready`. */
async function startBounded(
  command: string,
  args: readonly string[],
  options: BoundedOptions,
): Promise<BoundedProcess> {
  const child = spawn('timeout', ['-s', 'KILL', String(Math.ceil(options.lifetimeS)), command, ...args], {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) throw new Error(`could not start ${command}`);
  groups.add(child.pid);
  let output = '';
  const append = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout.on('data', append);
  child.stderr.on('data', append);
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => (stopping ??= stopGroup(child, options.stopGraceMs));
  const unregister = onCleanup(stop);
  try {
    const readyValue = await waitForOutput(child, () => output, options);
    const pid = await childOf(child.pid);
    return {
      pid,
      readyValue,
      output: () => output,
      stop: async () => {
        await stop();
        unregister();
      },
    };
  } catch (error) {
    await stop();
    unregister();
    throw error;
  }
}

async function waitForOutput(child: ChildProcess, output: () => string, options: BoundedOptions): Promise<string> {
  const giveUpAt = performance.now() + options.readyTimeoutMs;
  for (;;) {
    const value = options.ready.exec(output())?.[1];
    if (value !== undefined) return value;
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`exited before ready:\n${output()}`);
    if (performance.now() > giveUpAt) throw new Error(`not ready within ${options.readyTimeoutMs} ms:\n${output()}`);
    await sleep(25);
  }
}

export type { BoundedOptions, BoundedProcess };
export { adoptGroup, killStartedGroups, startBounded };
