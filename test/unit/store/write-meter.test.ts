/**
 * The write meter's arithmetic (src/store/write-meter.ts), held to DynamoDB's published sizing
 * rules: the bytes of an item of every attribute type (names included; a list or map costs 3
 * bytes plus 1 per element; a number 1 byte per two significant digits plus 1), the units of a
 * write (1 per started KB, at least 1; an index entry is the item plus 100 bytes), and which
 * partition keys each kind of write request lands on. The writes are counted by a meter on a
 * client whose requests a stand-in answers in the process (nothing leaves it), so what is measured
 * is what the meter makes of the request the SDK built. What the meter does on the wire, with a
 * real store, is test/integration/store/write-meter.test.ts.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  DeleteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { createDynamoClients } from '../../../src/store/dynamo-client.ts';
import { createWriteMeter, itemSize } from '../../../src/store/write-meter.ts';

type Wire = Parameters<typeof itemSize>[0];

const base64 = (bytes: number): string => Buffer.alloc(bytes, 7).toString('base64');

describe('itemSize', () => {
  it.each<[string, Wire, number]>([
    ['a string by its UTF-8 bytes', { name: { S: 'héllo' } }, 4 + 6],
    ['an empty string as nothing but its name', { e: { S: '' } }, 1],
    ['a number by its significant digits, sign, point and trailing zeros aside', { n: { N: '-123.4500' } }, 1 + 4],
    ['a number with leading zeros and an exponent', { n: { N: '0.00012E+10' } }, 1 + 2],
    ['zero as one digit', { n: { N: '0' } }, 1 + 2],
    ['a 38-digit number at the precision limit', { n: { N: '9'.repeat(38) } }, 1 + 20],
    ['binary by its decoded bytes, not its base64 text', { b: { B: base64(300) } }, 1 + 300],
    ['a boolean as one byte', { ok: { BOOL: false } }, 2 + 1],
    ['a null as one byte', { gone: { NULL: true } }, 4 + 1],
    ['a list as 3 bytes plus 1 per element', { l: { L: [{ S: 'ab' }, { N: '7' }] } }, 1 + 3 + (1 + 2) + (1 + 2)],
    ['an empty list as 3 bytes', { l: { L: [] } }, 1 + 3],
    [
      'a map as 3 bytes plus its names and values plus 1 per element',
      { m: { M: { a: { S: 'xy' }, b: { BOOL: true } } } },
      1 + 3 + (1 + 2 + (1 + 1)) + 2,
    ],
    [
      'nested lists and maps, level by level',
      { m: { M: { l: { L: [{ M: { k: { S: 'v' } } }] } } } },
      1 + 3 + (1 + (3 + (1 + (3 + (1 + 1) + 1)))) + 1,
    ],
    ['a string set by the bytes of its members', { ss: { SS: ['a', 'bc', 'ü'] } }, 2 + (1 + 2 + 2)],
    ['a number set by the size of each member', { ns: { NS: ['1', '22', '333'] } }, 2 + (2 + 2 + 3)],
    ['an attribute value without a type as a null', { x: {} }, 1 + 1],
    ['a value of a type DynamoDB does not have as nothing but its name', { odd: { Q: 'x'.repeat(50) } }, 3],
    ['several attributes, each name counted', { pk: { S: 'ITEM#a' }, sk: { S: 'ITEM' }, shard: { N: '5' } }, 8 + 6 + 7],
  ])('sizes %s', (_what, item, bytes) => {
    expect(itemSize(item)).toBe(bytes);
  });

  it('sizes an item at the 400 KB limit by its bytes', () => {
    expect(itemSize({ v: { S: 'x'.repeat(400 * 1024 - 1) } })).toBe(400 * 1024);
  });
});

type AttributeMap = Record<string, AttributeValue>;

/** An item of exactly `bytes` bytes in the table, optionally with the index's keys (counted in `bytes`). */
function itemOf(bytes: number, indexed = false): Record<string, { S: string }> {
  const keys: Record<string, { S: string }> = { pk: { S: 'FEED#3' }, sk: { S: 'k' } };
  const index: Record<string, { S: string }> = indexed ? { gsi1pk: { S: 'TICKER#AAPL' }, gsi1sk: { S: 'k' } } : {};
  const fixed = itemSize({ ...keys, ...index, v: { S: '' } });
  return { ...keys, ...index, v: { S: 'x'.repeat(bytes - fixed) } };
}

const put = (Item: AttributeMap) => new PutItemCommand({ TableName: 'T', Item });

/** A metered client whose every request a stand-in answers with `answer`, in the process. */
function meteredClient(answer: Record<string, unknown>) {
  const { client } = createDynamoClients('http://127.0.0.1:9');
  const meter = createWriteMeter();
  meter.attach(client);
  client.middlewareStack.add(() => () => Promise.resolve({ output: { $metadata: {}, ...answer }, response: {} }), {
    step: 'finalizeRequest',
    name: 'storeStandIn',
  });
  return { client, meter };
}

interface Measured {
  readonly requests: number;
  /** Writes per partition key (index keys as `byTicker:<key>`). */
  readonly writes: Record<string, number>;
  readonly tableUnits: number;
  readonly indexUnits: number;
}

/**
 * What the meter counts for one request: sent once to a store that reports no figure (the meter
 * computes table and index units from the request) and once to one that reports the table's share
 * as 0 (what the meter adds then is the index entries alone).
 */
async function measured(send: (client: DynamoDBClient) => Promise<unknown>): Promise<Measured> {
  const computed = meteredClient({});
  const indexOnly = meteredClient({ ConsumedCapacity: { TableName: 'T', Table: { CapacityUnits: 0 } } });
  try {
    await send(computed.client);
    await send(indexOnly.client);
  } finally {
    computed.client.destroy();
    indexOnly.client.destroy();
  }
  expect(indexOnly.meter.writesByKey).toEqual(computed.meter.writesByKey);
  return {
    requests: computed.meter.requests,
    writes: Object.fromEntries(computed.meter.writesByKey),
    tableUnits: computed.meter.units - indexOnly.meter.units,
    indexUnits: indexOnly.meter.units,
  };
}

describe('the writes of a request, as the meter counts them', () => {
  it('put an item without index keys on its partition key only, one unit per started KB', async () => {
    expect(itemSize(itemOf(1024))).toBe(1024);
    expect(await measured((client) => client.send(put(itemOf(1024))))).toEqual({
      requests: 1,
      writes: { 'FEED#3': 1 },
      tableUnits: 1,
      indexUnits: 0,
    });
    expect(await measured((client) => client.send(put(itemOf(1025))))).toMatchObject({ tableUnits: 2, indexUnits: 0 });
  });

  it('put an item with both index keys on the index partition too, its entry 100 bytes larger', async () => {
    expect(await measured((client) => client.send(put(itemOf(924, true))))).toEqual({
      requests: 1,
      writes: { 'FEED#3': 1, 'byTicker:TICKER#AAPL': 1 },
      tableUnits: 1,
      indexUnits: 1,
    });
    // A KB item fits one table unit; its index entry does not.
    expect(await measured((client) => client.send(put(itemOf(1024, true))))).toMatchObject({
      tableUnits: 1,
      indexUnits: 2,
    });
  });

  it('put no index entry for an item with only the index partition key', async () => {
    const item = { pk: { S: 'FEED#1' }, sk: { S: 'k' }, gsi1pk: { S: 'TICKER#AAPL' } };

    expect(await measured((client) => client.send(put(item)))).toEqual({
      requests: 1,
      writes: { 'FEED#1': 1 },
      tableUnits: 1,
      indexUnits: 0,
    });
  });

  it('name a partition key that is not a string "?"', async () => {
    expect(await measured((client) => client.send(put({ pk: { N: '1' }, sk: { S: 'k' } })))).toMatchObject({
      writes: { '?': 1 },
    });
  });

  it.each([
    ['UpdateItem', (Key?: AttributeMap) => new UpdateItemCommand({ TableName: 'T', Key })],
    ['DeleteItem', (Key?: AttributeMap) => new DeleteItemCommand({ TableName: 'T', Key })],
  ] as const)('count %s as one unit on its key, its size unknown from the request', async (_operation, command) => {
    expect(await measured((client) => client.send(command({ pk: { S: 'ITEM#a' }, sk: { S: 'ITEM' } })))).toEqual({
      requests: 1,
      writes: { 'ITEM#a': 1 },
      tableUnits: 1,
      indexUnits: 0,
    });
    expect(await measured((client) => client.send(command(undefined)))).toMatchObject({ writes: { '?': 1 } });
  });

  it('count every put and delete of a BatchWriteItem, over every table, in one request', async () => {
    const batch = new BatchWriteItemCommand({
      RequestItems: {
        first: [
          { PutRequest: { Item: itemOf(2048, true) } },
          { DeleteRequest: { Key: { pk: { S: 'FEED#9' }, sk: { S: 'k' } } } },
        ],
        second: [
          { DeleteRequest: { Key: undefined } },
          { PutRequest: { Item: { pk: { S: 'META' }, sk: { S: 'X' } } } },
        ],
      },
    });

    expect(await measured((client) => client.send(batch))).toEqual({
      requests: 1,
      writes: { 'FEED#3': 1, 'byTicker:TICKER#AAPL': 1, 'FEED#9': 1, '?': 1, META: 1 },
      tableUnits: 2 + 1 + 1 + 1,
      indexUnits: 3,
    });
  });

  it('count no write for a BatchWriteItem without request items', async () => {
    for (const RequestItems of [undefined, {}]) {
      expect(await measured((client) => client.send(new BatchWriteItemCommand({ RequestItems })))).toEqual({
        requests: 1,
        writes: {},
        tableUnits: 0,
        indexUnits: 0,
      });
    }
  });
});
