import { describe, expect, it } from 'vitest';
import { frameComment, frameEvent, frameRetry } from '../../../src/stream/frame.ts';
import { parseSseText } from '../../support/sse-text.ts';

describe('frameEvent', () => {
  it('writes event, id and data lines and the blank line that dispatches them', () => {
    expect(frameEvent({ event: 'metrics', id: '1.abc', data: '{"total":1}' })).toBe(
      'event: metrics\nid: 1.abc\ndata: {"total":1}\n\n',
    );
  });

  it('adds retry when given', () => {
    expect(frameEvent({ event: 'reconnect', id: '1.a', data: '{}', retry: 1500 })).toBe(
      'event: reconnect\nid: 1.a\nretry: 1500\ndata: {}\n\n',
    );
  });

  it.each([
    ['LF in the event', { event: 'metrics\ndata: x', id: '1' }],
    ['CR in the event', { event: 'metrics\r', id: '1' }],
    ['LF in the id', { event: 'metrics', id: '1\n\nevent: evil' }],
    ['CRLF in the id', { event: 'metrics', id: '1\r\nevent: evil' }],
    ['NUL in the id', { event: 'metrics', id: '1\0' }],
  ])('refuses %s (field injection)', (_name, fields) => {
    expect(() => frameEvent({ ...fields, data: '{}' })).toThrow(/must not contain CR, LF or NUL/);
  });

  it.each([-1, 1.5, Number.NaN])('refuses a retry of %s', (retry) => {
    expect(() => frameEvent({ event: 'x', id: '1', data: '', retry })).toThrow(/retry/);
    expect(() => frameRetry(retry)).toThrow(/retry/);
  });

  // Data with any mix of line breaks round-trips through a WHATWG parser: one event, the same
  // data (line breaks normalised to \n, as the spec does), no extra fields or events.
  const nasty = [
    'plain',
    'two\nlines',
    'crlf\r\nline',
    'lone\rcarriage',
    '\n\nevent: evil\ndata: {}\n\n',
    'id: 666\nretry: 1',
    ': comment\n',
    '',
    '\u2028unicode\u2029separators',
  ];
  it.each(nasty)('round-trips data %j as exactly one event', (data) => {
    const parsed = parseSseText(frameEvent({ event: 'new_item', id: '1.a', data }));
    expect(parsed.frames).toEqual([{ event: 'new_item', id: '1.a', data: data.replace(/\r\n|\r/g, '\n') }]);
    expect(parsed.retries).toEqual([]);
  });
});

describe('frameRetry and frameComment', () => {
  it('frames retry alone, and comments on every line so none becomes a field', () => {
    expect(frameRetry(3000)).toBe('retry: 3000\n\n');
    const parsed = parseSseText(frameComment('padding\nevent: evil'));
    expect(parsed.frames).toEqual([]);
    expect(parsed.comments).toEqual(['padding', 'event: evil']);
  });
});
