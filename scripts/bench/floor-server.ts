/**
 * The floor of the stream benchmark: the least a node:http server can do to fan an event out over
 * SSE (a Set of responses, one write per subscriber). tickerpulse's figures are printed as ratios
 * to this, measured in the same run on the same Node, so the ratios cancel out the machine.
 *
 * Runs as its own process (`node scripts/bench/floor-server.ts`), so it is measured alone like the
 * real server; it keeps to erasable TypeScript for Node's type stripping. Binds 127.0.0.1 only and
 * prints `FLOOR http://127.0.0.1:<port>` when it listens.
 *
 * - `GET /stream`: `text/event-stream`, `retry: 3000`, then every published frame.
 * - `POST /publish` with `{ "item_id": string, ... }`: one `new_item` frame written to every
 *   subscriber, then 204.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** Bodies larger than this are refused: the benchmark only ever posts one small item. */
const MAX_BODY_BYTES = 64 * 1024;

const subscribers = new Set<ServerResponse>();

function subscribe(res: ServerResponse): void {
  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache' });
  res.write('retry: 3000\n\n');
  subscribers.add(res);
  res.on('close', () => {
    subscribers.delete(res);
  });
}

function publish(req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on('data', (chunk: Buffer) => {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.writeHead(413).end();
      req.destroy();
      return;
    }
    chunks.push(chunk);
  });
  req.on('end', () => {
    let body: unknown;
    try {
      body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch {
      res.writeHead(400).end();
      return;
    }
    const itemId = (body as { item_id?: unknown } | null)?.item_id;
    if (typeof itemId !== 'string') {
      res.writeHead(400).end();
      return;
    }
    // One frame built once; write()'s return value is ignored on purpose, as in the minimal
    // server this floor stands for (no per-subscriber back-pressure bookkeeping).
    const frame = `event: new_item\nid: ${itemId}\ndata: ${JSON.stringify(body)}\n\n`;
    for (const subscriber of subscribers) subscriber.write(frame);
    res.writeHead(204).end();
  });
}

const server = createServer((req, res) => {
  const path = (req.url ?? '').split('?')[0];
  if (req.method === 'GET' && path === '/stream') subscribe(res);
  else if (req.method === 'POST' && path === '/publish') publish(req, res);
  else res.writeHead(404).end();
});

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`FLOOR http://127.0.0.1:${port}\n`);
});

// The parent stops it with SIGTERM; exit at once instead of waiting for streams that never end.
process.once('SIGTERM', () => {
  process.exit(0);
});
