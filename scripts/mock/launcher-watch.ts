/**
 * Notices when whoever started this process is gone. `npm run mock` runs as
 * npm → sh -c → tsx → node (the mock) → Prism. A SIGTERM or SIGINT sent to the npm process alone
 * (a process manager, an IDE's stop button, `kill <pid>`) is forwarded by npm to `sh`, and `sh`
 * (dash) dies of it without passing it on: tsx, the mock and Prism would live on, orphaned, both
 * ports still taken. So the mock records its chain of ancestors up to that npm process when it
 * starts, and treats the death of any of them, or a changed parent anywhere in the chain (an
 * orphan is adopted by another process), as its own stop signal.
 *
 * Linux only (it reads /proc); elsewhere there is nothing to watch and signals must reach the
 * mock itself, as Ctrl-C in a terminal does (it signals the whole process group).
 */
import { readFileSync } from 'node:fs';

interface LauncherWatch {
  /** The process ids watched, nearest first (empty: nothing to watch). */
  readonly chain: readonly number[];
  stop(): void;
}

/** How far up to look for npm: mock → tsx → sh → npm is three steps, `npx tsx` a few more. */
const MAX_DEPTH = 6;
const POLL_MS = 200;

interface ProcessStat {
  readonly parent: number;
  /** `Z` for a zombie: dead, not yet reaped. */
  readonly state: string;
}

/** The parent and state of `pid`, or undefined if there is no such process. */
function statOf(pid: number): ProcessStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ppid …`; comm may itself hold spaces and parentheses.
    const [state = '', parent = ''] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { parent: Number(parent), state };
  } catch {
    return undefined;
  }
}

/** True for npm's own process (its title is `npm run mock …`, `npm exec …`). */
function isNpm(pid: number): boolean {
  try {
    const [first = '', second = ''] = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return /^npm(?: |$)/.test(first) || /(?:^|\/)npm(?:-cli\.js)?$/.test(second);
  } catch {
    return false;
  }
}

/** This process's ancestors up to and including the nearest npm process; empty if there is none. */
function launcherChain(): number[] {
  const chain: number[] = [];
  let pid = process.ppid;
  for (let depth = 0; depth < MAX_DEPTH && pid > 1; depth += 1) {
    chain.push(pid);
    if (isNpm(pid)) return chain;
    pid = statOf(pid)?.parent ?? 0;
  }
  return [];
}

/** Calls `onGone` once, within {@link POLL_MS}, when a process of the chain has died or been orphaned. */
function watchLaunchers(onGone: (description: string) => void): LauncherWatch {
  const chain = launcherChain();
  if (chain.length === 0) return { chain, stop: () => undefined };
  // Each link: a process and the parent it had at start (the first one's is this process's parent).
  const links = chain.map((pid, index) => ({ pid, parent: chain[index + 1] }));
  /** What changed in the chain since start, or undefined if nothing did. */
  const change = (): string | undefined => {
    if (statOf(process.pid)?.parent !== chain[0]) return `its parent process ${String(chain[0])} is gone`;
    for (const link of links) {
      const stat = statOf(link.pid);
      if (stat === undefined || stat.state === 'Z') return `process ${link.pid} of its launcher is gone`;
      if (link.parent !== undefined && stat.parent !== link.parent) {
        return `process ${link.pid} of its launcher lost its parent ${link.parent}`;
      }
    }
    return undefined;
  };
  const timer = setInterval(() => {
    const description = change();
    if (description !== undefined) gone(description);
  }, POLL_MS);
  // Watching must not keep the process alive by itself.
  timer.unref();
  const gone = (description: string): void => {
    clearInterval(timer);
    onGone(description);
  };
  return {
    chain,
    stop: () => {
      clearInterval(timer);
    },
  };
}

export type { LauncherWatch };
export { watchLaunchers };
