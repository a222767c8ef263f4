/**
 * Prism's mock of specs/openapi.yaml as a child process: it answers every REST operation with
 * the spec's examples (`Prefer: dynamic=true` for generated data, `Prefer: code=404` for another
 * response) and validates requests. Spawned as Prism's own JS with this process's Node (Prism
 * 5.16 needs Node ≥ 24.18), never through npx, so stopping it stops Prism itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stopChild } from '../lib/child-process.ts';
import { offlineToolEnv, repoRoot, toolScripts } from '../docs/tool-env.ts';

interface PrismMockOptions {
  /** Default 4010; the caller picks a free one for tests. */
  readonly port?: number;
  /** Default 127.0.0.1. */
  readonly host?: string;
  /** Default specs/openapi.yaml. */
  readonly specPath?: string;
  /** How long to wait for Prism to answer (default 30 s; it is ready in about 2 s). */
  readonly startTimeoutMs?: number;
  /** Called if Prism exits on its own after it started (not after `close()`). */
  readonly onExit?: (description: string) => void;
}

interface PrismMock {
  readonly url: string;
  readonly pid: number | undefined;
  close(): Promise<void>;
  /** Kills Prism at once; for synchronous `exit` handlers only. */
  killNow(): void;
}

const OUTPUT_TAIL_CHARS = 4000;

/**
 * Refuses a taken port up front: otherwise whatever already listens there would answer the
 * readiness probe while Prism itself fails to bind.
 */
function assertPortFree(host: string, port: number): Promise<void> {
  return new Promise<void>((free, taken) => {
    const probe = createServer();
    probe.once('error', (error) => {
      taken(new Error(`cannot start Prism on ${host}:${port}: ${error.message}`, { cause: error }));
    });
    probe.listen(port, host, () => {
      probe.close(() => {
        free();
      });
    });
  });
}

async function startPrismMock(options: PrismMockOptions = {}): Promise<PrismMock> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 4010;
  await assertPortFree(host, port);
  const child: ChildProcess = spawn(
    process.execPath,
    [
      toolScripts.prism,
      'mock',
      options.specPath ?? join(repoRoot, 'specs/openapi.yaml'),
      '-h',
      host,
      '-p',
      String(port),
      // Requests are logged one line each at info; warn keeps the terminal for real problems.
      '-v',
      'warn',
    ],
    { cwd: repoRoot, env: offlineToolEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  let closing = false;
  child.once('exit', (code, signal) => {
    if (!closing) options.onExit?.(`Prism exited (${signal ?? `code ${String(code)}`}):\n${output}`);
  });

  const url = `http://${host}:${port}`;
  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`Prism exited while starting on ${url}:\n${output}`);
    }
    try {
      // Any HTTP answer means it is listening; /health has an example, so it is a 200.
      await fetch(`${url}/health`, { signal: AbortSignal.timeout(2000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        closing = true;
        await stopChild(child);
        throw new Error(`Prism did not answer on ${url} within the start timeout:\n${output}`);
      }
      await new Promise((wait) => setTimeout(wait, 200));
    }
  }
  return {
    url,
    pid: child.pid,
    close: () => {
      closing = true;
      return stopChild(child);
    },
    killNow: () => {
      closing = true;
      child.kill('SIGKILL');
    },
  };
}

export type { PrismMock, PrismMockOptions };
export { startPrismMock };
