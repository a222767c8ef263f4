/**
 * A counting layer on the store client (SDK middleware): every write request, the write units it
 * costs as DynamoDB bills them, and how many writes land on each partition key of the table and
 * of its index. What `npm run bench:rest` prints per ingested item, and what the tests hold the
 * write path to (docs/data-model.md, "Capacity").
 *
 * Write units: each written item costs one unit per started KB of its size, for the table and
 * again for each index entry it carries (an index entry is the item plus 100 bytes). The middleware
 * asks the store for `ReturnConsumedCapacity` and uses the table's figure when it answers one (it
 * counts an update's item before and after); index entries, and writes refused by their
 * condition (DynamoDB still charges them), are computed from the request with the same rules.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from './table-keys.ts';

type Wire = Record<string, Record<string, unknown>>;

const WRITES = new Set(['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);

/** Bytes of a number as DynamoDB sizes it: one per two significant digits, plus one. */
function numberSize(text: string): number {
  const digits = text.replace(/^-/, '').replace(/e.*$/i, '').replace('.', '').replace(/^0+/, '').replace(/0+$/, '');
  return Math.ceil(Math.max(1, digits.length) / 2) + 1;
}

/** Bytes of one attribute value in DynamoDB's wire JSON. */
function valueSize(value: Record<string, unknown>): number {
  const [type, content] = Object.entries(value)[0] ?? ['NULL', true];
  switch (type) {
    case 'S':
      return Buffer.byteLength(String(content));
    case 'N':
      return numberSize(String(content));
    case 'B':
      return Buffer.from(String(content), 'base64').length;
    case 'BOOL':
    case 'NULL':
      return 1;
    case 'L':
      return 3 + (content as Record<string, unknown>[]).reduce((sum, item) => sum + 1 + valueSize(item), 0);
    case 'M':
      return 3 + itemSize(content as Wire) + Object.keys(content as object).length;
    case 'SS':
      return (content as string[]).reduce((sum, text) => sum + Buffer.byteLength(text), 0);
    case 'NS':
      return (content as string[]).reduce((sum, text) => sum + numberSize(text), 0);
    default:
      return 0;
  }
}

/** Bytes of an item: attribute names and values. */
function itemSize(item: Wire): number {
  return Object.entries(item).reduce((sum, [name, value]) => sum + Buffer.byteLength(name) + valueSize(value), 0);
}

const unitsOf = (bytes: number): number => Math.max(1, Math.ceil(bytes / 1024));

const stringOf = (value: Record<string, unknown> | undefined): string | undefined =>
  typeof value?.S === 'string' ? value.S : undefined;

interface ItemWrite {
  /** The table's partition key, and the index's when the item carries its keys. */
  readonly keys: readonly string[];
  /** Index entry units (0 when the item carries no index keys). */
  readonly indexUnits: number;
  /** Table units, from the request alone (an update's size is unknown here: 1). */
  readonly tableUnits: number;
}

function putWrite(item: Wire): ItemWrite {
  const size = itemSize(item);
  const pk = stringOf(item[TABLE_KEYS.partitionKey]) ?? '?';
  const indexPk = stringOf(item[TABLE_KEYS.tickerIndexPartitionKey]);
  const indexed = indexPk !== undefined && item[TABLE_KEYS.tickerIndexSortKey] !== undefined;
  return {
    keys: indexed ? [pk, `${TABLE_KEYS.tickerIndex}:${indexPk}`] : [pk],
    indexUnits: indexed ? unitsOf(size + 100) : 0,
    tableUnits: unitsOf(size),
  };
}

function keyWrite(key: Wire | undefined): ItemWrite {
  return { keys: [stringOf(key?.[TABLE_KEYS.partitionKey]) ?? '?'], indexUnits: 0, tableUnits: 1 };
}

/** The items one write request writes (or tries to). */
function writesOf(operation: string, input: Record<string, unknown>): ItemWrite[] {
  if (operation === 'PutItem') return [putWrite(input.Item as Wire)];
  if (operation === 'UpdateItem' || operation === 'DeleteItem') return [keyWrite(input.Key as Wire)];
  const tables = Object.values(
    (input.RequestItems ?? {}) as Record<string, Record<string, { Item?: Wire; Key?: Wire }>[]>,
  );
  return tables.flat().map((request) => {
    const put = request.PutRequest?.Item;
    return put === undefined ? keyWrite(request.DeleteRequest?.Key) : putWrite(put);
  });
}

interface WriteMeter {
  /** Write requests sent (a BatchWriteItem is one). */
  readonly requests: number;
  /** Write units, table and index entries together. */
  readonly units: number;
  /** Writes per partition key (index keys as `byTicker:<key>`), item by item. */
  readonly writesByKey: ReadonlyMap<string, number>;
  /** The key with the most writes, and how many. */
  hottest(): { readonly key: string; readonly writes: number } | undefined;
  /** Counts this client's requests from now on. */
  attach(client: DynamoDBClient): void;
  reset(): void;
}

/** Table units the store reported for a request, when it did. */
function reportedTableUnits(output: unknown): number | undefined {
  const capacity = (output as { ConsumedCapacity?: unknown } | undefined)?.ConsumedCapacity;
  const list = Array.isArray(capacity) ? capacity : capacity === undefined ? [] : [capacity];
  const units = list.flatMap((entry) => {
    const unit = (entry as { Table?: { CapacityUnits?: unknown } }).Table?.CapacityUnits;
    return typeof unit === 'number' ? [unit] : [];
  });
  return units.length > 0 && units.length === list.length ? units.reduce((sum, unit) => sum + unit, 0) : undefined;
}

/** The serialized request body as text: the SDK hands it over as a string or as bytes. */
function bodyText(body: unknown): string | undefined {
  if (typeof body === 'string') return body;
  if (body instanceof Uint8Array) return new TextDecoder().decode(body);
  return undefined;
}

function createWriteMeter(): WriteMeter {
  let requests = 0;
  let units = 0;
  const writesByKey = new Map<string, number>();
  const record = (writes: readonly ItemWrite[], tableUnits: number | undefined) => {
    requests += 1;
    units +=
      (tableUnits ?? writes.reduce((sum, write) => sum + write.tableUnits, 0)) +
      writes.reduce((sum, write) => sum + write.indexUnits, 0);
    for (const key of writes.flatMap((write) => write.keys)) writesByKey.set(key, (writesByKey.get(key) ?? 0) + 1);
  };
  return {
    get requests() {
      return requests;
    },
    get units() {
      return units;
    },
    writesByKey,
    hottest() {
      let top: { key: string; writes: number } | undefined;
      for (const [key, writes] of writesByKey) if (top === undefined || writes > top.writes) top = { key, writes };
      return top;
    },
    attach(client) {
      client.middlewareStack.add(
        (next) => async (args) => {
          const request = args.request as { headers: Record<string, string | undefined>; body?: unknown };
          const operation = (request.headers['x-amz-target'] ?? '').split('.').pop() ?? '';
          const text = bodyText(request.body);
          if (!WRITES.has(operation) || text === undefined) return next(args);
          const input = JSON.parse(text) as Record<string, unknown>;
          const body = JSON.stringify({ ...input, ReturnConsumedCapacity: 'INDEXES' });
          request.body = body;
          if (request.headers['content-length'] !== undefined)
            request.headers['content-length'] = String(Buffer.byteLength(body));
          const writes = writesOf(operation, input);
          try {
            const result = await next(args);
            // Unprocessed batch items were not written: what the store reported covers the rest.
            record(writes, reportedTableUnits(result.output));
            return result;
          } catch (error) {
            record(writes, undefined);
            throw error;
          }
        },
        { step: 'build', name: 'meterWrites' },
      );
    },
    reset() {
      requests = 0;
      units = 0;
      writesByKey.clear();
    },
  };
}

export type { WriteMeter };
export { createWriteMeter, itemSize };
