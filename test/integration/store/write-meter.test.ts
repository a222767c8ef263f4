/**
 * The write meter on the wire (src/store/write-meter.ts), on a client of a real dynalite behind a
 * store proxy: every kind of write request is counted once on each partition key it lands on, at
 * the units the store reports for the table when it reports them, and at units computed from the
 * request when it does not (no figure, a figure without the table's share, a write refused by its
 * condition, which DynamoDB still bills). Request bodies handed over as text or as bytes are both
 * counted and still reach the store intact, asking it for the consumed capacity; reads and bodies
 * the meter cannot read pass through uncounted and unchanged.
 */
import { Readable } from 'node:stream';
import {
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  DeleteItemCommand,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDynamoClients,
  type DynamoClients,
  type EmbeddedDynalite,
  ensureTable,
  startEmbeddedDynalite,
} from '../../../src/store/index.ts';
import { createWriteMeter, type WriteMeter } from '../../../src/store/write-meter.ts';
import { type Action, startStoreProxy, type StoreCall, type StoreProxy } from '../../support/store-proxy.ts';

const TABLE = 'tickerpulse-meter';

let dynalite: EmbeddedDynalite;
let proxy: StoreProxy;
let metered: DynamoClients;
let client: DynamoDBClient;
let meter: WriteMeter;
/** What the store received, call by call. */
let received: StoreCall[];

beforeEach(async () => {
  dynalite = await startEmbeddedDynalite({ access: 'any-local-process' });
  const setup = createDynamoClients(dynalite.endpoint);
  await ensureTable(setup.client, TABLE);
  setup.client.destroy();
  proxy = await startStoreProxy(dynalite.endpoint);
  received = [];
  answerWith(() => 'forward');
  metered = createDynamoClients(proxy.endpoint);
  client = metered.client;
  meter = createWriteMeter();
  meter.attach(client);
});
afterEach(async () => {
  metered.client.destroy();
  await proxy.close();
  await dynalite.close();
});

/** Records every call, then lets `decide` settle it. */
function answerWith(decide: (call: StoreCall) => Action) {
  proxy.hook = (call) => {
    received.push(call);
    return decide(call);
  };
}

const s = (text: string) => ({ S: text });
/** A feed entry's wire item, about `bytes` long, with the index keys. */
const feedEntry = (sk: string, bytes = 100) => ({
  pk: s('FEED#4'),
  sk: s(sk),
  gsi1pk: s('TICKER#AAPL'),
  gsi1sk: s(sk),
  v: s('x'.repeat(bytes)),
});
const putOf = (item: Record<string, { S: string }>) => new PutItemCommand({ TableName: TABLE, Item: item });

describe('the write meter on a store that reports consumed capacity', () => {
  it('counts a put once on its partition key and once on its index key, at the table units the store reports', async () => {
    await client.send(putOf(feedEntry('a', 1500)));

    expect(meter.requests).toBe(1);
    // The table's 2 units as dynalite reports them, plus the index entry's 2, computed.
    expect(meter.units).toBe(4);
    expect(Object.fromEntries(meter.writesByKey)).toEqual({ 'FEED#4': 1, 'byTicker:TICKER#AAPL': 1 });
    expect(received.at(-1)?.input).toMatchObject({ ReturnConsumedCapacity: 'INDEXES' });
  });

  it('counts an update and a delete by the size of the item they change, which only the store knows', async () => {
    const large = { pk: s('ITEM#big'), sk: s('ITEM'), v: s('x'.repeat(3000)) };
    await client.send(putOf(large));
    meter.reset();

    await client.send(
      new UpdateItemCommand({
        TableName: TABLE,
        Key: { pk: large.pk, sk: large.sk },
        UpdateExpression: 'SET w = :w',
        ExpressionAttributeValues: { ':w': s('y') },
      }),
    );
    await client.send(new DeleteItemCommand({ TableName: TABLE, Key: { pk: large.pk, sk: large.sk } }));

    expect(meter.requests).toBe(2);
    // 3 KB each, as the store reports; the request alone would have said 1 unit each.
    expect(meter.units).toBe(6);
    expect(Object.fromEntries(meter.writesByKey)).toEqual({ 'ITEM#big': 2 });
    expect(meter.hottest()).toEqual({ key: 'ITEM#big', writes: 2 });
  });

  it('counts every put and delete of a BatchWrite, in one request', async () => {
    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [
            { PutRequest: { Item: feedEntry('b') } },
            { PutRequest: { Item: { pk: s('META'), sk: s('DEMO_SEED') } } },
            { DeleteRequest: { Key: { pk: s('ITEM#none'), sk: s('ITEM') } } },
          ],
        },
      }),
    );

    expect(meter.requests).toBe(1);
    // Three table units as reported (a delete of a missing item still costs one), one index entry.
    expect(meter.units).toBe(4);
    expect(Object.fromEntries(meter.writesByKey)).toEqual({
      'FEED#4': 1,
      'byTicker:TICKER#AAPL': 1,
      META: 1,
      'ITEM#none': 1,
    });
  });

  it('charges a put refused by its condition, computed from the request, and passes the refusal on', async () => {
    const marker = { pk: s('ITEM#x'), sk: s('ITEM'), v: s('x'.repeat(2000)) };
    await client.send(putOf(marker));
    meter.reset();

    await expect(
      client.send(
        new PutItemCommand({ TableName: TABLE, Item: marker, ConditionExpression: 'attribute_not_exists(pk)' }),
      ),
    ).rejects.toBeInstanceOf(ConditionalCheckFailedException);

    expect(meter.requests).toBe(1);
    expect(meter.units).toBe(2);
    expect(meter.writesByKey.get('ITEM#x')).toBe(1);
  });

  it('counts no read', async () => {
    await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: s('FEED#4'), sk: s('a') } }));
    await client.send(
      new QueryCommand({
        TableName: TABLE,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': s('FEED#4') },
      }),
    );

    expect(meter.requests).toBe(0);
    expect(meter.units).toBe(0);
    expect(meter.hottest()).toBeUndefined();
    expect(received.map((call) => call.input.ReturnConsumedCapacity)).toEqual([undefined, undefined]);
  });
});

describe('the write meter on a store that reports no usable figure', () => {
  it('computes the units of a write from the request when the store reports none', async () => {
    answerWith((call) => (call.operation === 'PutItem' ? { answer: {} } : 'forward'));

    await client.send(putOf(feedEntry('c', 1500)));

    expect(meter.units).toBe(2 + 2);
  });

  it('computes them when the store reports a total without the table’s share', async () => {
    answerWith((call) =>
      call.operation === 'PutItem'
        ? { answer: { ConsumedCapacity: { TableName: TABLE, CapacityUnits: 9 } } }
        : 'forward',
    );

    await client.send(putOf(feedEntry('d', 100)));

    expect(meter.units).toBe(1 + 1);
  });

  it('computes them for a BatchWrite when the store reports the table’s share of only some tables', async () => {
    answerWith((call) =>
      call.operation === 'BatchWriteItem'
        ? {
            answer: {
              UnprocessedItems: {},
              ConsumedCapacity: [
                { TableName: TABLE, CapacityUnits: 7, Table: { CapacityUnits: 7 } },
                { TableName: 'other', CapacityUnits: 7 },
              ],
            },
          }
        : 'forward',
    );

    await client.send(
      new BatchWriteItemCommand({
        RequestItems: {
          [TABLE]: [{ PutRequest: { Item: feedEntry('e', 100) } }],
          other: [{ DeleteRequest: { Key: { pk: s('X'), sk: s('Y') } } }],
        },
      }),
    );

    expect(meter.units).toBe(1 + 1 + 1);
  });

  it('charges a write the store fails, computed from the request, and passes the failure on', async () => {
    answerWith((call) =>
      call.operation === 'PutItem'
        ? { status: 400, answer: { __type: 'com.amazonaws.dynamodb.v20120810#AccessDeniedException', message: 'no' } }
        : 'forward',
    );

    await expect(client.send(putOf(feedEntry('f', 100)))).rejects.toMatchObject({ name: 'AccessDeniedException' });

    expect(meter.requests).toBe(1);
    expect(meter.units).toBe(2);
  });
});

describe('request bodies', () => {
  /** Hands the serialized body on as `convert` makes it from its text, before the meter sees it. */
  function bodiesAs(convert: (text: string) => unknown) {
    client.middlewareStack.add(
      (next) => (args) => {
        const request = args.request as { body?: unknown };
        const { body } = request;
        if (typeof body === 'string') request.body = convert(body);
        else if (body instanceof Uint8Array) request.body = convert(new TextDecoder().decode(body));
        return next(args);
      },
      { step: 'build', priority: 'high', name: 'bodyConversion' },
    );
  }

  it.each([
    ['as text', (text: string) => text],
    ['as bytes', (text: string) => new TextEncoder().encode(text)],
  ])('counts a write whose body comes %s, and the store still receives it whole', async (_form, convert) => {
    bodiesAs(convert);

    await client.send(putOf(feedEntry('g', 1500)));

    expect(meter.requests).toBe(1);
    expect(meter.units).toBe(4);
    expect(received.at(-1)?.input).toMatchObject({ ReturnConsumedCapacity: 'INDEXES', Item: feedEntry('g', 1500) });
    const stored = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: s('FEED#4'), sk: s('g') } }));
    expect(stored.Item).toEqual(feedEntry('g', 1500));
  });

  it('passes a body it cannot read (a stream) on unchanged and uncounted', async () => {
    bodiesAs((text) => Readable.from([Buffer.from(text)]));

    await client.send(putOf(feedEntry('h', 100)));

    expect(meter.requests).toBe(0);
    expect(received.at(-1)?.input).toEqual({ TableName: TABLE, Item: feedEntry('h', 100) });
    const stored = await client.send(new GetItemCommand({ TableName: TABLE, Key: { pk: s('FEED#4'), sk: s('h') } }));
    expect(stored.Item).toEqual(feedEntry('h', 100));
  });
});
