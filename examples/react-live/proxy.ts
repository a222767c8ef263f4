/**
 * The dev-server proxy, the alternative to CORS: the page calls its own origin, and the dev server
 * forwards `/api/` to the API, so the browser never makes a cross-origin call. What Vite's
 * `server.proxy` does; streams pass through as they arrive (Node buffers nothing in a pipe).
 */
import { type IncomingMessage, request, type ServerResponse } from 'node:http';

/** Forwards `req` to the same path on `target` (an `http://host:port` origin) and pipes the answer back. */
function forward(req: IncomingMessage, res: ServerResponse, target: string): void {
  // The target's own Host, as `changeOrigin` does in Vite: the API sees a request to itself.
  const { host: _host, ...headers } = req.headers;
  const upstream = request(new URL(req.url ?? '/', target), { method: req.method, headers }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
    res.end('the API is unreachable');
  });
  // The page went away (a stream closed by useStream): end the upstream request too.
  res.on('close', () => upstream.destroy());
  req.pipe(upstream);
}

export { forward };
