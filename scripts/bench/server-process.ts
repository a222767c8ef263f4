/**
 * Runs `src/main.ts` as its own process for benchmarks, so the load generator never shares the
 * server's event loop, and reads its URL from what it prints. It starts as `npm start` starts it
 * (the script's environment and Node options, from package.json).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { stopChild } from '../lib/child-process.ts';
import { nodeCommandOf } from '../lib/npm-script-command.ts';

interface ServerProcess {
  readonly url: string;
  readonly ingestApiKey: string;
  readonly pid: number;
  stop(): Promise<void>;
}

const root = resolve(import.meta.dirname, '../..');
/** Seeding the demo data takes about 8 s on a quiet 2-core machine, and several times that on a busy one. */
const START_TIMEOUT_MS = 150_000;

async function startServerProcess(
  env: Record<string, string>,
  nodeOptions: readonly string[] = [],
): Promise<ServerProcess> {
  const ingestApiKey = 'bench-ingest-key-000000000000';
  const start = nodeCommandOf('start');
  const child: ChildProcess = spawn(process.execPath, [...start.nodeOptions, ...nodeOptions, start.entry], {
    cwd: root,
    env: {
      ...process.env,
      ...start.env,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      SIMULATE: '0',
      INGEST_API_KEY: ingestApiKey,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  const url = await new Promise<string>((done, fail) => {
    const timer = setTimeout(() => {
      fail(new Error(`server did not start: ${output}`));
    }, START_TIMEOUT_MS);
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /REST API\s+(http:\/\/[^/\s]+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        done(match[1]);
      }
    });
    child.once('exit', (code) => {
      fail(new Error(`server exited with ${code}: ${output}`));
    });
  });
  return {
    url,
    ingestApiKey,
    pid: child.pid ?? 0,
    stop: () => stopChild(child),
  };
}

export type { ServerProcess };
export { startServerProcess };
