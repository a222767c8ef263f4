/**
 * Starts `floor-server.ts` as its own process on the benchmark's Node and reads its URL from what
 * it prints, mirroring `server-process.ts` so both servers are launched and measured alike.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { stopChild } from '../lib/child-process.ts';

/** A running floor server. */
interface FloorProcess {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly pid: number;
  /** SIGTERM; resolves when the process has exited. */
  stop(): Promise<void>;
}

/** How long the floor may take to print its URL; it has nothing to load, so this is generous. */
const START_TIMEOUT_MS = 20_000;

/** Spawns the floor server and resolves once it listens; the child is killed if it never does. */
async function startFloorProcess(): Promise<FloorProcess> {
  const child: ChildProcess = spawn(process.execPath, [resolve(import.meta.dirname, 'floor-server.ts')], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  try {
    const url = await new Promise<string>((done, fail) => {
      const timer = setTimeout(() => {
        fail(new Error(`floor server did not start: ${output}`));
      }, START_TIMEOUT_MS);
      child.stdout?.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        const match = /FLOOR (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
        if (match?.[1] !== undefined) {
          clearTimeout(timer);
          done(match[1]);
        }
      });
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`floor server exited with ${code}: ${output}`));
      });
    });
    return { url, pid: child.pid ?? 0, stop: () => stopChild(child) };
  } catch (error) {
    await stopChild(child);
    throw error;
  }
}

export type { FloorProcess };
export { startFloorProcess };
