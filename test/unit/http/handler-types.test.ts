/**
 * The handler map is checked by the compiler (`npx tsc`): each `@ts-expect-error` below fails the
 * type check if the error it expects goes away, e.g. if `Handlers` were a Partial again or a
 * handler's result were `unknown` again. The runtime half checks the stream/REST split.
 */
import { expect, expectTypeOf, it } from 'vitest';
import { type OperationId, operations } from '../../../src/contract/index.ts';
import type { Handlers, OperationHandler, RestOperationId, StreamOperationId } from '../../../src/http/handler.ts';

it('splits the operations into the two SSE ones and the REST ones', () => {
  expectTypeOf<StreamOperationId>().toEqualTypeOf<'streamGlobal' | 'streamConfiguration'>();
  const streams = (Object.keys(operations) as OperationId[]).filter(
    (id) =>
      (operations[id].responses as Record<number, { contentType: string | null }>)[200]?.contentType ===
      'text/event-stream',
  );
  expect(streams.sort()).toEqual(['streamConfiguration', 'streamGlobal']);
});

it('makes a missing handler, or one for a stream, a type error', () => {
  const health: OperationHandler<'getHealth'> = () => Promise.reject(new Error('not called'));
  // @ts-expect-error every REST operation needs a handler
  const missing: Handlers = { getHealth: health };
  // @ts-expect-error a stream operation is not a REST operation
  const stream: RestOperationId = 'streamGlobal';
  expect([missing, stream]).toHaveLength(2);
});

it('types each handler result from the contract', () => {
  // @ts-expect-error getHealth documents 200 only
  const wrongStatus: OperationHandler<'getHealth'> = () => Promise.resolve({ status: 201, body: {} });
  // @ts-expect-error the body must be a Health
  const wrongBody: OperationHandler<'getHealth'> = () => Promise.resolve({ status: 200, body: { status: 'fine' } });
  // @ts-expect-error a 204 has no body
  const bodyOn204: OperationHandler<'deleteConfiguration'> = () => Promise.resolve({ status: 204, body: {} });
  const text: OperationHandler<'getServiceMetrics'> = () =>
    Promise.resolve({ status: 200, text: { contentType: 'text/plain; charset=utf-8', content: '' } });
  const wrongText: OperationHandler<'getServiceMetrics'> = () =>
    // @ts-expect-error the text must be of the contract's media type
    Promise.resolve({ status: 200, text: { contentType: 'text/html', content: '' } });
  expect([wrongStatus, wrongBody, bodyOn204, text, wrongText]).toHaveLength(5);
});
