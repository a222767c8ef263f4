/**
 * The fixed interface of the product (docs/contracts.md, "Fixed names"): tests outside this repository rely on
 * these paths and event names, so the contracts must keep every one of them.
 */
import { describe, expect, it } from 'vitest';
import { channels, operations, StreamEventNames } from '../../src/contract/index.ts';

const REST_INTERFACE = [
  ['get', '/health'],
  ['get', '/api/v2/metrics'],
  ['get', '/api/v2/metrics/history'],
  ['get', '/api/v2/items'],
  ['post', '/api/v2/items'],
  ['get', '/api/v2/configurations'],
  ['post', '/api/v2/configurations'],
  ['get', '/api/v2/configurations/{config_id}'],
  ['put', '/api/v2/configurations/{config_id}'],
  ['delete', '/api/v2/configurations/{config_id}'],
  ['post', '/api/v2/configurations/{config_id}/stream-token'],
  ['get', '/api/v2/stream'],
  ['get', '/api/v2/configurations/{config_id}/stream'],
] as const;

const SSE_EVENTS = ['metrics', 'new_item', 'sentiment_update', 'heartbeat'] as const;

describe('the contracts cover the product brief', () => {
  const defined = Object.values(operations).map((op) => `${op.method} ${op.path}`);

  it.each(REST_INTERFACE)('specs/openapi.yaml defines %s %s', (method, path) => {
    expect(defined).toContain(`${method} ${path}`);
  });

  it('documents the two SSE endpoints as text/event-stream', () => {
    expect(operations.streamGlobal.responses[200].contentType).toBe('text/event-stream');
    expect(operations.streamConfiguration.responses[200].contentType).toBe('text/event-stream');
  });

  it('documents every error as problem+json, including 503 at capacity on the streams', () => {
    for (const op of Object.values(operations)) {
      const responses: Record<string, { contentType: string | null }> = op.responses;
      for (const [status, response] of Object.entries(responses)) {
        // 429 is Lambda's own throttle (AWS only), answered with Lambda's body before our handler runs.
        if (Number(status) >= 400)
          expect(response.contentType, `${op.path} ${status}`).toBe(
            status === '429' ? 'application/json' : 'application/problem+json',
          );
      }
    }
    expect(Object.keys(operations.streamGlobal.responses)).toContain('503');
    expect(Object.keys(operations.streamConfiguration.responses)).toEqual(
      expect.arrayContaining(['401', '404', '503']),
    );
  });

  it('documents create as 201 and delete as 204', () => {
    expect(Object.keys(operations.createConfiguration.responses)).toContain('201');
    expect(operations.deleteConfiguration.responses[204]).toEqual({ contentType: null, validate: null });
  });

  it('protects configurations and ingest, and leaves the global stream public', () => {
    expect(operations.listConfigurations.security).toEqual(['bearerJwt', 'userIdHeader']);
    expect(operations.streamConfiguration.security).toEqual(['bearerJwt', 'userIdHeader', 'streamToken']);
    expect(operations.ingestItems.security).toEqual(['ingestApiKey']);
    expect(operations.streamGlobal.security).toEqual([]);
  });

  it.each(SSE_EVENTS)('specs/asyncapi.yaml defines the %s event on both channels', (event) => {
    expect(Object.values(StreamEventNames)).toContain(event);
    expect(channels.globalStream.events).toContain(event);
    expect(channels.configurationStream.events).toContain(event);
  });

  it('gives the SSE channels the REST paths', () => {
    expect(channels.globalStream.address).toBe('/api/v2/stream');
    expect(channels.configurationStream.address).toBe('/api/v2/configurations/{config_id}/stream');
  });
});
