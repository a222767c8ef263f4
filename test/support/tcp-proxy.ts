/**
 * A loopback TCP proxy in front of a server, for the stream client's fault tests: it can cut every
 * open connection (a server-side disconnect with no `reconnect` hint: a load balancer's idle
 * timeout, a crashed instance), refuse new ones for a while (the server is down), or freeze the
 * open ones (bytes stop flowing while TCP stays up: what only a heartbeat watchdog notices).
 */
import { createConnection, createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

interface TcpProxy {
  /** `http://127.0.0.1:<port>`, to use in place of the server's URL. */
  readonly url: string;
  /** Connections accepted so far (refused ones included). */
  readonly accepted: number;
  /** Destroys every open connection, both sides. */
  cut(): void;
  /** While true, each new connection is destroyed as soon as it is accepted. */
  refuse(on: boolean): void;
  /** Stops forwarding on every open connection, leaving the sockets open. */
  freeze(): void;
  close(): Promise<void>;
}

async function startTcpProxy(upstreamUrl: string): Promise<TcpProxy> {
  const upstream = new URL(upstreamUrl);
  const open = new Set<Socket>();
  const pairs: [Socket, Socket][] = [];
  let [refusing, accepted] = [false, 0];
  const server = createServer((client) => {
    accepted += 1;
    if (refusing) {
      client.destroy();
      return;
    }
    const target = createConnection({ host: upstream.hostname, port: Number(upstream.port) });
    for (const socket of [client, target]) {
      open.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => {
        open.delete(socket);
        client.destroy();
        target.destroy();
      });
    }
    client.pipe(target);
    target.pipe(client);
    pairs.push([client, target]);
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  const { port } = server.address() as AddressInfo;
  const cut = (): void => {
    for (const socket of open) socket.destroy();
  };
  return {
    url: `http://127.0.0.1:${port}`,
    get accepted() {
      return accepted;
    },
    cut,
    refuse: (on) => {
      refusing = on;
    },
    freeze: () => {
      for (const [client, target] of pairs) {
        client.unpipe(target);
        target.unpipe(client);
        client.pause();
        target.pause();
      }
    },
    close: () =>
      new Promise<void>((closed) => {
        cut();
        server.close(() => {
          closed();
        });
      }),
  };
}

export type { TcpProxy };
export { startTcpProxy };
