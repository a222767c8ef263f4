/**
 * `prism proxy --errors` in front of a real server: every response is checked against
 * specs/openapi.yaml by Prism, and a violation turns into a 500 with `sl-violations`. Requests are
 * forwarded unchecked (`--validate-request=false`) so the server's own 400s are what is tested.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { stopChild } from '../../scripts/lib/child-process.ts';
import { freePort } from './free-port.ts';

const root = resolve(import.meta.dirname, '../..');

interface PrismProxy {
  readonly url: string;
  close(): Promise<void>;
}

async function startPrismProxy(upstream: string): Promise<PrismProxy> {
  const port = await freePort();
  // The binary itself (not npx), so killing it kills Prism; run with this test's Node (24).
  const child: ChildProcess = spawn(
    process.execPath,
    [
      join(root, 'node_modules/@stoplight/prism-cli/dist/index.js'),
      'proxy',
      join(root, 'specs/openapi.yaml'),
      upstream,
      '-h',
      '127.0.0.1',
      '-p',
      String(port),
      '--errors',
      '--validate-request=false',
      '--cors=false',
      '-v',
      'warn',
    ],
    {
      cwd: root,
      env: { ...process.env, SCARF_ANALYTICS: 'false', DO_NOT_TRACK: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prism exited: ${output}`);
    try {
      await fetch(`${url}/health`);
      break;
    } catch {
      if (Date.now() > deadline) {
        child.kill();
        throw new Error(`prism did not start: ${output}`);
      }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    url,
    close: () => stopChild(child),
  };
}

export type { PrismProxy };
export { startPrismProxy };
