import { describe, expect, it } from 'vitest';
import { messageTargets, operationTargets } from '../../../scripts/codegen/contract-walk.ts';

const ok = { responses: { '200': { description: 'ok' } } };

describe('operationTargets', () => {
  it('merges path-level and operation-level parameters into strict query and path schemas', () => {
    const [target] = operationTargets({
      paths: {
        '/things/{id}': {
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          get: {
            operationId: 'getThing',
            parameters: [{ name: 'full', in: 'query', schema: { type: 'boolean' } }],
            ...ok,
          },
        },
      },
    });
    expect(target?.pathParams?.schema).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: { id: { type: 'string' } },
      required: ['id'],
    });
    expect(target?.query.schema).toEqual({
      type: 'object',
      additionalProperties: false,
      properties: { full: { type: 'boolean' } },
    });
  });

  it.each([
    ['an operation without operationId', { '/a': { get: ok } }, 'GET /a has no operationId'],
    [
      'a repeated operationId',
      { '/a': { get: { operationId: 'x', ...ok } }, '/b': { get: { operationId: 'x', ...ok } } },
      'operationId "x" is used twice',
    ],
    [
      'a non-JSON request body',
      { '/a': { post: { operationId: 'x', requestBody: { content: { 'text/plain': {} } }, ...ok } } },
      'x: request bodies must be application/json',
    ],
  ])('refuses %s', (_name, paths, message) => {
    expect(() => operationTargets({ paths })).toThrow(message);
  });
});

describe('messageTargets', () => {
  const message = (name: string, sse = name) => ({
    name,
    'x-sse-event': sse,
    payload: { $ref: '#/components/schemas/P' },
  });

  it('names payload validators after the event and records their channels', () => {
    const { messages, channels } = messageTargets({
      channels: { live: { address: '/live', messages: { a: { $ref: '#/components/messages/NewItem' } } } },
      components: { messages: { NewItem: message('new_item') } },
    });
    expect(messages).toEqual([
      {
        event: 'new_item',
        component: 'NewItem',
        validator: 'newItemPayload',
        schema: { $ref: '#/components/schemas/P' },
        channels: ['live'],
      },
    ]);
    expect(channels).toEqual([{ key: 'live', address: '/live', events: ['new_item'] }]);
  });

  it.each([
    ['an event name that could break SSE framing', message('new\nitem'), 'must be a snake_case SSE event name'],
    ['x-sse-event that differs from name', message('new_item', 'newItem'), 'x-sse-event must equal name'],
  ])('refuses %s', (_name, bad, error) => {
    expect(() => messageTargets({ components: { messages: { Bad: bad } } })).toThrow(error);
  });
});
