/**
 * Runs a tool's JS entry point to completion with this process's Node (24 under `npm run`), and
 * keeps track of every such child so that an interrupted build can stop them. The binary is
 * spawned directly rather than through npx: killing npx leaves the real tool running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import { stopChild } from '../lib/child-process.ts';

/** What a finished tool printed (stdout and stderr interleaved) and how long it took. */
interface ToolRun {
  readonly output: string;
  readonly ms: number;
}

interface ToolOptions {
  /** Names the tool in errors, e.g. `redocly build-docs`. */
  readonly label: string;
  readonly cwd: string;
  readonly env: NodeJS.ProcessEnv;
}

/** A tool exited non-zero or was killed; the message ends with the tail of its output. */
class ToolError extends Error {
  override readonly name = 'ToolError';
}

/** Only the end of a failing tool's output is shown: the AsyncAPI CLI in debug mode is verbose. */
const OUTPUT_TAIL_CHARS = 6000;

const running = new Set<ChildProcess>();

function runNodeTool(script: string, args: readonly string[], options: ToolOptions): Promise<ToolRun> {
  const started = performance.now();
  return new Promise<ToolRun>((resolveRun, rejectRun) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd,
      env: options.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    running.add(child);
    let output = '';
    const collect = (chunk: Buffer): void => {
      output += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.once('error', (error) => {
      running.delete(child);
      rejectRun(new ToolError(`${options.label}: cannot start: ${error.message}`, { cause: error }));
    });
    child.once('close', (code, signal) => {
      running.delete(child);
      if (code === 0) {
        resolveRun({ output, ms: performance.now() - started });
        return;
      }
      const how = signal === null ? `exited with code ${String(code)}` : `was killed by ${signal}`;
      rejectRun(new ToolError(`${options.label} ${how}; its output ends with:\n${output.slice(-OUTPUT_TAIL_CHARS)}`));
    });
  });
}

/** Stops every tool still running (SIGTERM, then waits for each to exit). */
async function stopRunningTools(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

/** Last resort from a synchronous `exit` handler: SIGKILL whatever is left. */
function killRunningToolsNow(): void {
  for (const child of running) child.kill('SIGKILL');
}

export type { ToolOptions, ToolRun };
export { killRunningToolsNow, runNodeTool, stopRunningTools, ToolError };
