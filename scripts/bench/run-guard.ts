/**
 * What every benchmark entry point needs around its run: a log line stamped with the seconds since
 * start, and a guard that stops everything the run started (bounded) and exits on the hard
 * deadline, SIGINT, SIGTERM, or an error nobody caught; the first of them wins.
 */
import { readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { runCleanup } from './cleanup.ts';

interface RunGuardOptions {
  readonly deadlineS: number;
  /** What stopping stops, for the log line (e.g. `servers and clients`). */
  readonly stopping: string;
  /** Bound of the cleanup before the exit. */
  readonly cleanupMs: number;
  /** Runs after the cleanup, right before the exit (e.g. SIGKILL what is left). */
  readonly afterCleanup?: () => void;
}

interface RunGuard {
  /** performance.now() when the run started. */
  readonly started: number;
  readonly log: (line: string) => void;
  /** Cleans up (bounded) and exits with `code`; later calls do nothing. */
  readonly abort: (reason: string, code: number) => void;
  /** The run ended by itself: the deadline no longer applies. */
  readonly disarm: () => void;
}

function guardRun(options: RunGuardOptions): RunGuard {
  const started = performance.now();
  const log = (line: string): void => {
    process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s] ${line}\n`);
  };
  let exiting = false;
  const abort = (reason: string, code: number): void => {
    if (exiting) return;
    exiting = true;
    log(`${reason}: stopping ${options.stopping}`);
    void runCleanup(options.cleanupMs).finally(() => {
      options.afterCleanup?.();
      process.exit(code);
    });
  };
  const deadline = setTimeout(() => {
    abort(`deadline of ${options.deadlineS} s reached`, 3);
  }, options.deadlineS * 1000);
  process.once('SIGINT', () => {
    abort('SIGINT', 130);
  });
  process.once('SIGTERM', () => {
    abort('SIGTERM', 143);
  });
  process.on('uncaughtException', (error) => {
    log(`uncaught: ${error.stack ?? String(error)}`);
    abort('uncaught exception', 1);
  });
  process.on('unhandledRejection', (error) => {
    log(`unhandled rejection: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
    abort('unhandled rejection', 1);
  });
  return {
    started,
    log,
    abort,
    disarm: () => {
      clearTimeout(deadline);
    },
  };
}

/** Soft limit on open files of this process, from /proc (Node has no getrlimit); children inherit it. */
function openFilesLimit(): number | undefined {
  const match = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

export type { RunGuard };
export { guardRun, openFilesLimit };
