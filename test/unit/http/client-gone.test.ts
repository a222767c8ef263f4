/**
 * watchClientGone (src/http/client-gone.ts) on real responses of a loopback server: the signal a
 * handler's store reads and a stream's authorization stop on. It fires when the client leaves
 * before the answer is complete, also when the connection was gone before anyone watched it, and
 * never for a response that was sent in full or after the watch was released.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type AddressInfo, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ClientGoneError, watchClientGone } from '../../../src/http/client-gone.ts';
import { listenOnLoopback, type LoopbackServer } from '../../support/loopback-server.ts';

let loopback: LoopbackServer;
let onRequest: (req: IncomingMessage, res: ServerResponse) => void;

beforeAll(async () => {
  loopback = await listenOnLoopback((req, res) => {
    onRequest(req, res);
  });
});
afterAll(() => loopback.close());

/** Opens a raw connection and sends one GET; the caller decides when it goes away. */
async function client() {
  const socket = connect((loopback.server.address() as AddressInfo).port, '127.0.0.1');
  socket.on('error', () => undefined);
  await once(socket, 'connect');
  socket.write('GET /api/v2/items HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
  return socket;
}

/** The next request's response, once the server has it. */
function nextResponse(): Promise<ServerResponse> {
  return new Promise((resolve) => {
    onRequest = (_req, res) => {
      resolve(res);
    };
  });
}

describe('watchClientGone', () => {
  it('aborts with ClientGoneError when the client leaves before the answer', async () => {
    const responding = nextResponse();
    const socket = await client();
    const watch = watchClientGone(await responding);

    socket.destroy();
    await once(watch.signal, 'abort');

    expect(watch.signal.reason).toBeInstanceOf(ClientGoneError);
  });

  it('is aborted at once on a response whose connection closed before it was watched', async () => {
    const responding = nextResponse();
    const socket = await client();
    const res = await responding;
    socket.destroy();
    await once(res, 'close');

    const watch = watchClientGone(res);

    expect(watch.signal.aborted).toBe(true);
    expect(watch.signal.reason).toBeInstanceOf(ClientGoneError);
  });

  it('is aborted at once on a response destroyed by the server before it was watched', async () => {
    const responding = nextResponse();
    const socket = await client();
    const res = await responding;
    res.destroy();

    const watch = watchClientGone(res);

    expect(watch.signal.aborted).toBe(true);
    socket.destroy();
  });

  it('stays quiet for a response sent in full, even when the connection closes after it', async () => {
    const responding = nextResponse();
    const socket = await client();
    const res = await responding;
    const watch = watchClientGone(res);
    const closed = once(res, 'close');

    res.end('done');
    await once(res, 'finish');
    socket.destroy();
    await closed;

    expect(watch.signal.aborted).toBe(false);
  });

  it('stays quiet once released, whatever the client does next', async () => {
    const responding = nextResponse();
    const socket = await client();
    const res = await responding;
    const watch = watchClientGone(res);

    watch.release();
    socket.destroy();
    await once(res, 'close');

    expect(watch.signal.aborted).toBe(false);
  });
});
