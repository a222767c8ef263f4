import { describe, expect, it } from 'vitest';
import { channels, checkEventPayload, parseEvent, StreamEventNames } from '../../../src/contract/index.ts';

const heartbeat = {
  timestamp: '2026-11-21T09:15:30.000Z',
  connections: 3,
  status: 'ok',
  last_poll_at: '2026-11-21T09:15:29.612Z',
  lag_ms: 388,
};

describe('parseEvent', () => {
  it('returns the typed event for a valid frame', () => {
    const result = parseEvent({ event: 'heartbeat', id: '1.mhx3k9q0', data: JSON.stringify(heartbeat) });
    expect(result).toEqual({ ok: true, value: { event: 'heartbeat', id: '1.mhx3k9q0', data: heartbeat } });
  });

  it.each([
    ['an unknown event', { event: 'ping', id: '1.a', data: '{}' }, 'unknown event "ping"'],
    ['data that is not JSON', { event: 'heartbeat', id: '1.a', data: '{' }, 'event "heartbeat": data is not JSON'],
  ])('refuses %s', (_name, frame, message) => {
    expect(parseEvent(frame)).toEqual({ ok: false, issues: [{ location: 'body', pointer: '', message }] });
  });

  it('refuses a frame without an id, since every event carries the stream cursor', () => {
    const result = parseEvent({ event: 'heartbeat', id: undefined, data: JSON.stringify(heartbeat) });
    expect(result).toEqual({ ok: false, issues: [{ location: 'header', pointer: '/id', message: 'is required' }] });
  });

  it('refuses an id with characters that could break framing', () => {
    const result = parseEvent({ event: 'heartbeat', id: '1.a b', data: JSON.stringify(heartbeat) });
    expect(result.ok).toBe(false);
  });

  it('refuses stream_closed on the global channel, which never carries it', () => {
    const frame = { event: 'stream_closed', id: '1.a', data: '{"reason":"configuration_deleted"}' };
    expect(parseEvent(frame, 'configurationStream').ok).toBe(true);
    expect(parseEvent(frame, 'globalStream')).toEqual({
      ok: false,
      issues: [
        { location: 'body', pointer: '', message: 'event "stream_closed" is not carried by channel globalStream' },
      ],
    });
  });
});

describe('the event vocabulary', () => {
  it('names every event of the product brief, plus the control events', () => {
    expect(Object.values(StreamEventNames).sort()).toEqual(
      ['heartbeat', 'metrics', 'new_item', 'reconnect', 'sentiment_update', 'stream_closed', 'stream_open'].sort(),
    );
  });

  it('puts the four data events on both channels', () => {
    for (const event of ['metrics', 'new_item', 'sentiment_update', 'heartbeat']) {
      expect(channels.globalStream.events).toContain(event);
      expect(channels.configurationStream.events).toContain(event);
    }
    expect(channels.configurationStream.address).toBe('/api/v2/configurations/{config_id}/stream');
  });

  it('checks outgoing payloads', () => {
    expect(checkEventPayload('reconnect', { reason: 'shutdown', retry_ms: 1000 }).ok).toBe(true);
    expect(checkEventPayload('reconnect', { reason: 'bored', retry_ms: 1000 }).ok).toBe(false);
  });
});
