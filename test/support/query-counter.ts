/**
 * Counts the Query requests a DynamoDB client sends (a client middleware, so nothing of ours is
 * replaced), and stops a runaway: past `ceiling` queries every further one fails, so code that
 * would walk millions of partitions fails fast instead of hanging the test.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';

interface QueryCounter {
  /** Queries sent since the last reset. */
  readonly count: number;
  /** Partition key of each query, in order (`FEED#…`, `TICKER#…`). */
  readonly partitions: readonly string[];
  reset(): void;
  /** Called as each query is about to be sent, with its 1-based number since the last reset. */
  onQuery(listener: ((n: number) => void) | undefined): void;
}

class RunawayReadError extends Error {}

const partitionOf = (input: Record<string, unknown>): string => {
  const values = input.ExpressionAttributeValues as Record<string, unknown> | undefined;
  const pk = values?.[':pk'];
  if (typeof pk === 'string') return pk;
  if (typeof pk === 'object' && pk !== null && 'S' in pk) return String(pk.S);
  return '?';
};

function countQueries(client: DynamoDBClient, ceiling: number): QueryCounter {
  const partitions: string[] = [];
  let listener: ((n: number) => void) | undefined;
  client.middlewareStack.add(
    (next) => async (args) => {
      const input = args.input as Record<string, unknown>;
      if (typeof input.KeyConditionExpression === 'string') {
        partitions.push(partitionOf(input));
        if (partitions.length > ceiling) throw new RunawayReadError(`more than ${ceiling} store queries`);
        listener?.(partitions.length);
      }
      return next(args);
    },
    { step: 'initialize', name: 'testQueryCounter' },
  );
  return {
    get count() {
      return partitions.length;
    },
    partitions,
    reset: () => {
      partitions.length = 0;
    },
    onQuery: (next) => {
      listener = next;
    },
  };
}

export type { QueryCounter };
export { countQueries, RunawayReadError };
