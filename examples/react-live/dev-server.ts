/**
 * The example's dev server: the built app on a loopback origin of its own and, with a proxy,
 * `/api/` forwarded to the API (streams to `streamTarget`, the rest to `restTarget`; the mock
 * serves them on two ports). Without a proxy the page calls the API on its origin, through CORS.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { BuiltApp } from './build.ts';
import { forward } from './proxy.ts';

interface DevServerOptions {
  readonly app: BuiltApp;
  /** `127.0.0.1` unless told otherwise; loopback only. */
  readonly host: string;
  /** 0 for any free port. */
  readonly port: number;
  readonly proxy?: { readonly restTarget: string; readonly streamTarget: string } | undefined;
}

interface DevServer {
  /** `http://host:port`, as the browser should open it. */
  readonly url: string;
  close(): Promise<void>;
}

const isStream = (path: string): boolean => /^\/api\/v2\/(configurations\/[^/]+\/)?stream(\?|$)/.test(path);

async function startDevServer({ app, host, port, proxy }: DevServerOptions): Promise<DevServer> {
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    if (proxy !== undefined && path.startsWith('/api/')) {
      forward(req, res, isStream(path) ? proxy.streamTarget : proxy.restTarget);
      return;
    }
    const file = req.method === 'GET' || req.method === 'HEAD' ? app.get(path.split('?')[0] ?? '/') : undefined;
    if (file === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': file.contentType, 'cache-control': 'no-store' }).end(file.body);
  });
  server.listen(port, host);
  await once(server, 'listening');
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${bound}`,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export type { DevServer, DevServerOptions };
export { startDevServer };
