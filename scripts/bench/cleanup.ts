/**
 * What must happen however the benchmark ends (normally, at the deadline, on SIGINT or on an
 * exception): every server process it started is stopped and every client socket closed.
 */
import { readdirSync, readFileSync } from 'node:fs';

type CleanupTask = () => Promise<void> | void;

const tasks = new Set<CleanupTask>();

/** Registers `task` to run on cleanup; returns a function that unregisters it. */
function onCleanup(task: CleanupTask): () => void {
  tasks.add(task);
  return () => {
    tasks.delete(task);
  };
}

/**
 * Stops a server: SIGTERM via `stop`, then SIGKILL by pid if it has not exited within
 * `graceMs` (a server still holding 10,000 streams may take its time closing).
 */
async function stopWithin(stop: () => Promise<void>, pid: number, graceMs: number): Promise<void> {
  const stopped = stop();
  let timer: NodeJS.Timeout | undefined;
  const late = await Promise.race([
    stopped.then(() => false),
    new Promise<boolean>((done) => {
      timer = setTimeout(() => {
        done(true);
      }, graceMs);
    }),
  ]);
  clearTimeout(timer);
  if (!late) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
  await stopped;
}

/** Scripts this benchmark spawns; only children of this process running one of these are swept. */
const OWN_SCRIPTS = ['src/main.ts', 'scripts/bench/floor-server.ts'];

/**
 * SIGKILLs this process's own children that run a benchmark server. A safety net for a server
 * whose handle was never returned (e.g. the deadline struck while it was still starting).
 */
function killOwnServers(): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parent !== process.pid) continue;
      const command = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (OWN_SCRIPTS.some((script) => command.includes(script))) process.kill(Number(entry), 'SIGKILL');
    } catch {
      // The process exited while being looked at.
    }
  }
}

/** Runs every registered task (bounded by `timeoutMs` in all), then sweeps leftover servers. */
async function runCleanup(timeoutMs: number): Promise<void> {
  const pending = [...tasks];
  tasks.clear();
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    Promise.allSettled(pending.map(async (task) => task())),
    new Promise<void>((done) => {
      timer = setTimeout(done, timeoutMs);
    }),
  ]);
  clearTimeout(timer);
  killOwnServers();
}

export { killOwnServers, onCleanup, runCleanup, stopWithin };
