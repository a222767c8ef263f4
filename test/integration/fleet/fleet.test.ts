/**
 * Several `npm run serve` processes on one table, as a load balancer would spread clients over
 * them: real child processes on a standalone dynalite, real SSE clients, every event checked
 * against the contract. An item ingested through one reaches the streams of all; a client resumes
 * on any process from its last id, after leaving, after its process was killed, or after its
 * process drained on SIGTERM, with nothing lost and nothing repeated. And serve seeds nothing.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamEvent } from '../../../src/contract/index.ts';
import { createDynamoClients, type DynamoClients, type EmbeddedDynalite } from '../../../src/store/index.ts';
import { startEmbeddedDynalite } from '../../../src/store/index.ts';
import { createApiClient } from '../../support/api-client.ts';
import { itemIds, type OpenStream, openStream } from '../../support/sse-client.ts';
import { FLEET_INGEST_KEY, fleetEnv, type RunningServe, startServe } from './serve-process.ts';

const TABLE = 'fleet-table';

let dynalite: EmbeddedDynalite;
let clients: DynamoClients;
/** a, b and c serve throughout (c is killed in its test); d is drained by SIGTERM in its test. */
let a: RunningServe;
let b: RunningServe;
let c: RunningServe;
let d: RunningServe;
/** Every process started, for afterAll whatever happened. */
const fleet: RunningServe[] = [];
const streams: OpenStream[] = [];

async function start(env: Record<string, string>): Promise<RunningServe> {
  const server = await startServe(env);
  fleet.push(server);
  return server;
}

beforeAll(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  clients = createDynamoClients(dynalite.endpoint);
  // The first creates the table; the others find it.
  a = await start(fleetEnv(dynalite.endpoint, TABLE, { CREATE_TABLE: 'true' }));
  const env = fleetEnv(dynalite.endpoint, TABLE);
  [b, c, d] = await Promise.all([start(env), start(env), start(env)]);
});

afterAll(async () => {
  for (const stream of streams) stream.close();
  for (const server of fleet) server.child.kill('SIGKILL');
  await Promise.all(fleet.map((server) => server.exited));
  clients.client.destroy();
  await dynalite.close();
});

/** A global stream on `server`, up (its first heartbeat read) when this resolves. */
async function streamOn(server: RunningServe, lastEventId?: string): Promise<OpenStream> {
  const stream = await openStream(`${server.url}/api/v2/stream`, {
    channel: 'globalStream',
    headers: lastEventId === undefined ? {} : { 'last-event-id': lastEventId },
  });
  streams.push(stream);
  expect(stream.status).toBe(200);
  await stream.waitFor((events) => events.some((event) => event.event === 'heartbeat'));
  return stream;
}

let sequence = 0;
/** Ingests `count` new items through `server`; returns their ids. */
async function ingest(server: RunningServe, count = 1): Promise<string[]> {
  const items = Array.from({ length: count }, () => {
    sequence += 1;
    return {
      item_id: `fleet-${sequence}`,
      ticker: 'MSFT',
      sentiment: 'neutral',
      score: 0,
      timestamp: new Date().toISOString(),
    };
  });
  const response = await createApiClient(() => server.url).request('/api/v2/items', {
    method: 'POST',
    headers: { 'x-api-key': FLEET_INGEST_KEY },
    json: { items },
  });
  expect(response.status).toBe(200);
  return items.map((item) => item.item_id);
}

const hasAll = (ids: readonly string[]) => (events: readonly StreamEvent[]) =>
  ids.every((id) => itemIds(events).includes(id));

/** Long enough for a few polls (200 ms) to deliver anything a process would wrongly repeat. */
const settle = () => new Promise((wait) => setTimeout(wait, 800));

describe('serve seeds nothing', () => {
  it('leaves a fresh table empty: no demo data, no simulator', async () => {
    // Longer than the simulator's one-second interval, had one been started.
    await new Promise((wait) => setTimeout(wait, 1500));
    for (const server of [a, b, c, d]) {
      const page = await createApiClient(() => server.url).request('/api/v2/items');
      expect((page.body as { items: unknown[] }).items).toEqual([]);
    }
    // Not even a marker row: the table holds nothing but the fold's progress (its watermark).
    const scan = await clients.client.send(
      new ScanCommand({
        TableName: TABLE,
        Select: 'COUNT',
        FilterExpression: 'pk <> :fold',
        ExpressionAttributeValues: { ':fold': { S: 'FOLD' } },
      }),
    );
    expect(scan.Count).toBe(0);
  });
});

describe('a fleet on one table', () => {
  it('delivers an item ingested through one process to the streams of all of them', async () => {
    const fleetStreams = await Promise.all([a, b, c].map((server) => streamOn(server)));
    const [id = ''] = await ingest(b);
    await Promise.all(fleetStreams.map((stream) => stream.waitFor(hasAll([id]))));
    for (const stream of fleetStreams) {
      expect(itemIds(stream.events)).toEqual([id]);
      expect(stream.violations).toEqual([]);
      stream.close();
    }
  });

  it('resumes a client on another process from its last id, with nothing lost or repeated', async () => {
    const first = await streamOn(a);
    const before = await ingest(a);
    await first.waitFor(hasAll(before));
    const lastId = first.lastEventId();
    first.close();

    // While the client is away, items arrive through another process.
    const away = [...(await ingest(b, 2)), ...(await ingest(c))];
    const resumed = await streamOn(c, lastId);
    await resumed.waitFor(hasAll(away));
    await settle();

    expect(resumed.events.find((event) => event.event === 'stream_open')?.data).toMatchObject({ outcome: 'resumed' });
    expect(itemIds(first.events)).toEqual(before);
    expect(itemIds(resumed.events)).toEqual(away);
    expect([...first.violations, ...resumed.violations]).toEqual([]);
  });

  it('moves the clients of a killed process (SIGKILL) to another with their last id, losing nothing', async () => {
    const onC = await Promise.all([streamOn(c), streamOn(c)]);
    const delivered = await ingest(a);
    await Promise.all(onC.map((stream) => stream.waitFor(hasAll(delivered))));
    // This one may or may not have reached the clients when c dies.
    const inFlight = await ingest(a);
    c.child.kill('SIGKILL');
    expect((await c.exited).signal).toBe('SIGKILL');
    await Promise.all(onC.map((stream) => stream.ended));
    const later = await ingest(b, 2);

    const expected = [...delivered, ...inFlight, ...later];
    for (const [index, old] of onC.entries()) {
      const moved = await streamOn(index === 0 ? a : b, old.lastEventId());
      await moved.waitFor(hasAll(expected.filter((id) => !itemIds(old.events).includes(id))));
      await settle();
      expect([...itemIds(old.events), ...itemIds(moved.events)]).toEqual(expected);
      expect([...old.violations, ...moved.violations]).toEqual([]);
    }
  });

  it('drains on SIGTERM: every stream gets a reconnect event, and the process exits 0 within 5 s', async () => {
    const onD = await Promise.all([streamOn(d), streamOn(d)]);
    const delivered = await ingest(d);
    await Promise.all(onD.map((stream) => stream.waitFor(hasAll(delivered))));

    const signalled = performance.now();
    d.child.kill('SIGTERM');
    const exit = await d.exited;
    await Promise.all(onD.map((stream) => stream.ended));

    // Exit code 0 also says the shutdown finished before serve's own deadline (it exits 1 then).
    expect(exit.code).toBe(0);
    expect(exit.at - signalled).toBeLessThan(5000);
    for (const stream of onD) {
      const last = stream.events.at(-1);
      expect(last?.event).toBe('reconnect');
      expect(last?.data).toMatchObject({ reason: 'shutdown' });
      expect(stream.violations).toEqual([]);
    }
    // They come back elsewhere, where what arrived meanwhile is waiting, once.
    const later = await ingest(a);
    const back = await streamOn(b, onD[0].lastEventId());
    await back.waitFor(hasAll(later));
    await settle();
    expect(itemIds(back.events)).toEqual(later);
  });
});
