/**
 * How failures become problems (src/http/problem.ts): store faults a retry can get past are a
 * 503 with Retry-After, never a 500; anything else unexpected is a 500 whose details stay in the
 * log.
 */
import { describe, expect, it } from 'vitest';
import { toProblem } from '../../../src/http/problem.ts';
import { StoreBusyError } from '../../../src/store/index.ts';

const named = (name: string, extra: Record<string, unknown> = {}) => Object.assign(new Error(name), { name, ...extra });

describe('a store fault', () => {
  it.each([
    ['DynamoDB throttling', named('ProvisionedThroughputExceededException')],
    ['a request-rate throttle', named('ThrottlingException')],
    ['DynamoDB failing on its side', named('InternalServerError', { $fault: 'server' })],
    ['dynalite closing', named('ServiceUnavailableException', { $fault: 'server' })],
    ['any fault the SDK marks as the server’s', named('SomethingNew', { $fault: 'server' })],
    ['batch writes left unprocessed after every retry', new StoreBusyError('BatchWriteItem kept leaving items')],
    ['a refused connection', named('Error', { code: 'ECONNREFUSED' })],
    ['a timeout', named('TimeoutError')],
  ])('is a 503 with Retry-After: %s', (_name, error) => {
    const problem = toProblem(error, '/api/v2/items');
    expect(problem.status).toBe(503);
    expect(problem.headers['Retry-After']).toMatch(/^[1-9]\d*$/);
    expect(problem.unexpected).toBe(false);
  });

  it('is a 500 when the client sent something the store refused (a bug of ours), details kept out', () => {
    const problem = toProblem(named('ValidationException', { $fault: 'client' }), '/api/v2/items');
    expect(problem.status).toBe(500);
    expect(problem.body.detail).toBeUndefined();
    expect(problem.unexpected).toBe(true);
  });
});
