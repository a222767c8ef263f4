/**
 * Resident memory and CPU time of another process, read from Linux's /proc, so a server can be
 * measured from outside without instrumenting it.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

/** A point-in-time reading of one process. */
interface ProcSample {
  /** VmRSS in KiB. */
  readonly rssKiB: number;
  /** User plus system CPU time in milliseconds since the process started (all its threads). */
  readonly cpuMs: number;
}

let ticksPerSecond: number | undefined;

/** Clock ticks per second of /proc/<pid>/stat times; asked once because it never changes. */
function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    const value = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
    ticksPerSecond = Number.isFinite(value) && value > 0 ? value : 100;
  }
  return ticksPerSecond;
}

/** VmRSS of `pid` in KiB. */
function readRssKiB(pid: number): number {
  const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  if (match?.[1] === undefined) throw new Error(`no VmRSS for pid ${pid}`);
  return Number(match[1]);
}

/** utime + stime of `pid` in milliseconds. */
function readCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) is in parentheses and may contain spaces, so count fields from
  // the last ')': state is field 3, utime field 14 and stime field 15.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  if (!Number.isFinite(utime) || !Number.isFinite(stime)) throw new Error(`unreadable /proc/${pid}/stat`);
  return ((utime + stime) * 1000) / clockTicks();
}

/** Busy and total CPU time of the whole machine (all cores) in ms, from the first line of /proc/stat. */
function readMachineCpuMs(): { readonly busyMs: number; readonly totalMs: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '';
  // cpu user nice system idle iowait irq softirq steal ...: idle and iowait are the not-busy ones.
  const ticks = line.trim().split(/\s+/).slice(1, 9).map(Number);
  const total = ticks.reduce((a, b) => a + b, 0);
  const idle = (ticks[3] ?? 0) + (ticks[4] ?? 0);
  return { busyMs: ((total - idle) * 1000) / clockTicks(), totalMs: (total * 1000) / clockTicks() };
}

/** Both readings of `pid` at once. */
function sampleProcess(pid: number): ProcSample {
  return { rssKiB: readRssKiB(pid), cpuMs: readCpuMs(pid) };
}

export type { ProcSample };
export { readCpuMs, readMachineCpuMs, readRssKiB, sampleProcess };
