/**
 * The REST mock: Prism's mock of specs/openapi.yaml as a child process, on a loopback port of its
 * own, behind a small proxy on the REST port (rest-proxy.ts) that makes its 400s name what is
 * wrong and refuses what the real server refuses and Prism lets through. Prism answers every REST
 * operation with the spec's examples (`Prefer: dynamic=true` for generated data, `Prefer:
 * code=404` for another response) and validates requests. Spawned as Prism's own JS with this
 * process's Node (Prism 5.16 needs Node ≥ 24.18), never through npx, so stopping it stops Prism
 * itself; one that ignores SIGTERM is killed after STOP_GRACE_MS.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { stopChild } from '../lib/child-process.ts';
import { offlineToolEnv, repoRoot, toolScripts } from '../docs/tool-env.ts';
import { startRestProxy } from './rest-proxy.ts';

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
  /** Where the proxy reports an answer it could not give (default: stderr). */
  readonly log?: (line: string) => void;
}

interface PrismMock {
  /** The REST mock's URL: the proxy's. */
  readonly url: string;
  /** Prism's own URL, behind the proxy. */
  readonly prismUrl: string;
  /** Prism's process id. */
  readonly pid: number | undefined;
  close(): Promise<void>;
}

const OUTPUT_TAIL_CHARS = 4000;
/** How long Prism gets to exit after SIGTERM before SIGKILL (`npm run mock` must be gone within 2 s). */
const STOP_GRACE_MS = 1000;

/** Every Prism started and not yet exited, started or still starting. */
const running = new Set<ChildProcess>();

/** SIGKILLs every Prism this process started, even one still starting; for synchronous `exit` handlers. */
function killPrismsNow(): void {
  for (const child of running) child.kill('SIGKILL');
}

/** A loopback port free a moment ago, for Prism behind the proxy. */
function freePort(host: string): Promise<number> {
  return new Promise<number>((found, failed) => {
    const probe = createServer();
    probe.once('error', failed);
    probe.listen(0, host, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => {
        found(port);
      });
    });
  });
}

/** SIGTERM, then SIGKILL if it is still there after {@link STOP_GRACE_MS}. */
async function stopPrism(child: ChildProcess): Promise<void> {
  const kill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
  try {
    await stopChild(child);
  } finally {
    clearTimeout(kill);
  }
}

async function startPrismMock(options: PrismMockOptions = {}): Promise<PrismMock> {
  const host = options.host ?? '127.0.0.1';
  const internalPort = await freePort(host);
  const prismUrl = `http://${host}:${internalPort}`;
  // Listening first: a taken REST port fails here, before Prism is started.
  const proxy = await startRestProxy({
    host,
    port: options.port ?? 4010,
    upstream: prismUrl,
    log: options.log ?? ((line) => void process.stderr.write(`${line}\n`)),
  }).catch((error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot start the REST mock on ${host}:${options.port ?? 4010}: ${message}`, { cause: error });
  });
  const child: ChildProcess = spawn(
    process.execPath,
    [
      toolScripts.prism,
      'mock',
      options.specPath ?? join(repoRoot, 'specs/openapi.yaml'),
      '-h',
      host,
      '-p',
      String(internalPort),
      // Requests are logged one line each at info; warn keeps the terminal for real problems.
      '-v',
      'warn',
    ],
    { cwd: repoRoot, env: offlineToolEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  running.add(child);
  child.once('exit', () => running.delete(child));
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

  const deadline = Date.now() + (options.startTimeoutMs ?? 30_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await proxy.close();
      throw new Error(`Prism exited while starting on ${prismUrl}:\n${output}`);
    }
    try {
      // Any HTTP answer means it is listening; /health has an example, so it is a 200.
      await fetch(`${prismUrl}/health`, { signal: AbortSignal.timeout(2000) });
      break;
    } catch {
      if (Date.now() > deadline) {
        closing = true;
        await Promise.all([stopPrism(child), proxy.close()]);
        throw new Error(`Prism did not answer on ${prismUrl} within the start timeout:\n${output}`);
      }
      await new Promise((wait) => setTimeout(wait, 200));
    }
  }
  return {
    url: proxy.url,
    prismUrl,
    pid: child.pid,
    close: async () => {
      closing = true;
      await Promise.all([stopPrism(child), proxy.close()]);
    },
  };
}

export type { PrismMock, PrismMockOptions };
export { killPrismsNow, startPrismMock };
