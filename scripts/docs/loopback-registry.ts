/**
 * A stand-in for the npm registry on 127.0.0.1 for `asyncapi generate`. The CLI sends a HEAD to
 * `--registry-url` before every run, even when the template is installed, and crashes offline
 * when that fails (toolchain notes §10). This server answers 200 to anything and records what
 * was asked, so the build can prove that nothing beyond that check was attempted (a template
 * download would show up here as package requests instead of reaching the internet).
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

interface LoopbackRegistry {
  readonly url: string;
  /** Every request received, as `METHOD /path`. */
  readonly requests: readonly string[];
  close(): Promise<void>;
}

async function startLoopbackRegistry(): Promise<LoopbackRegistry> {
  const requests: string[] = [];
  const server = createServer((request, response) => {
    requests.push(`${request.method ?? '?'} ${request.url ?? ''}`);
    response.writeHead(200, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end('ok');
  });
  await new Promise<void>((listening, failed) => {
    server.once('error', failed);
    server.listen(0, '127.0.0.1', () => {
      listening();
    });
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((closed) => {
        server.closeAllConnections();
        server.close(() => {
          closed();
        });
      }),
  };
}

export type { LoopbackRegistry };
export { startLoopbackRegistry };
