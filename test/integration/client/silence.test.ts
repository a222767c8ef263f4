/**
 * A silent drop (no FIN, no RST: a NAT or a load balancer forgot the connection) is noticed by
 * the client within two heartbeat intervals plus 3 s of grace, counted from the last byte. A
 * loopback SSE server announces a 5 s heartbeat interval and keeps its heartbeats coming; a TCP
 * proxy in front of it stops forwarding without closing anything, so only the client's
 * watchdog can tell. 5 s is long enough that the bound (13 s) is shorter than three intervals.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type StreamState, subscribe } from 'tickerpulse/client';
import { frame, type HostileServer, openPayload, SSE_HEADERS, startHostileServer } from './hostile-server.ts';
import { startTcpProxy, type TcpProxy } from '../../support/tcp-proxy.ts';

const HEARTBEAT_MS = 5000;
const GRACE_MS = 3000;
/** Timers fire late under load, never early; a late one still has to beat three intervals. */
const LATE_MS = 900;

const heartbeatPayload = () => {
  const now = new Date().toISOString();
  return { timestamp: now, connections: 1, status: 'ok', last_poll_at: now, lag_ms: 0 };
};

let server: HostileServer;
let proxy: TcpProxy;

beforeAll(async () => {
  server = await startHostileServer((_request, response, connection) => {
    response.writeHead(200, SSE_HEADERS);
    const beat = (): boolean => response.write(frame('heartbeat', `c${connection}`, heartbeatPayload()));
    response.write(frame('stream_open', `c${connection}`, openPayload(HEARTBEAT_MS)));
    beat();
    const beating = setInterval(beat, HEARTBEAT_MS);
    response.on('close', () => {
      clearInterval(beating);
    });
  });
  proxy = await startTcpProxy(server.url);
});
afterAll(async () => {
  await proxy.close();
  await server.close();
});

it('declares a frozen connection dead two heartbeat intervals plus 3 s after its last byte, and reconnects', async () => {
  const received: number[] = [];
  const states: { state: StreamState; at: number }[] = [];
  const subscription = subscribe(`${proxy.url}/api/v2/stream`, {
    onEvent: {
      stream_open: () => received.push(performance.now()),
      heartbeat: () => received.push(performance.now()),
    },
    onState: (state) => states.push({ state, at: performance.now() }),
  });
  try {
    await expect.poll(() => received.length).toBeGreaterThanOrEqual(2);
    proxy.freeze();
    const silent = () => states.find(({ state }) => state.state === 'waiting' && state.cause === 'silent');
    await expect.poll(silent, { timeout: 3 * HEARTBEAT_MS + 5000, interval: 100 }).toBeDefined();
    const noticedAt = silent()?.at ?? 0;
    const lastByte = Math.max(...received.filter((at) => at < noticedAt));
    const noticedAfter = noticedAt - lastByte;
    expect(noticedAfter).toBeGreaterThanOrEqual(2 * HEARTBEAT_MS);
    expect(noticedAfter).toBeLessThan(2 * HEARTBEAT_MS + GRACE_MS + LATE_MS);
    // Resumes on a fresh connection (the proxy forwards new ones).
    await expect.poll(() => server.connections, { timeout: 5000 }).toBe(2);
  } finally {
    subscription.close();
  }
}, 40_000);
