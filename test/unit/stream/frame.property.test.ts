/**
 * Properties of SSE framing, checked against two parsers: eventsource-parser (fed in arbitrary
 * chunks, as a network delivers) and a literal transcription of the WHATWG steps
 * (test/support/whatwg-sse.ts). Whatever the fields hold, a frame is exactly one event with the
 * same fields, or it is refused; nothing in a field can start a line, a field or a second event.
 */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { frameComment, frameEvent, frameRetry } from '../../../src/stream/frame.ts';
import { parseWhatwg } from '../../support/whatwg-sse.ts';

/** Characters that matter to SSE, to Unicode and to UTF-8, mixed with arbitrary code points. */
const special = fc.constantFrom(
  '\r',
  '\n',
  '\r\n',
  '\n\n',
  '\0',
  '\uFEFF',
  ':',
  ' ',
  'data:',
  'event: evil',
  'id: 666',
  'retry: 1',
  '\u2028',
  '\u2029',
  '\u0085',
  '😀',
);
const loneSurrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((code) => String.fromCharCode(code));
const anyCodePoint = fc.string({ unit: 'binary', minLength: 1, maxLength: 1 });
const unit = fc.oneof(anyCodePoint, special, loneSurrogate);
const text = fc.string({ unit, maxLength: 200 });
/** Long strings: a random piece repeated, up to a few hundred kilobytes. */
const longText = fc
  .tuple(fc.string({ unit, minLength: 1, maxLength: 40 }), fc.integer({ min: 1000, max: 10_000 }))
  .map(([piece, times]) => piece.repeat(times));

const LINE_OR_NUL = /[\r\n\0]/;
/** A name or id the framing accepts: non-empty, well-formed, no CR, LF or NUL. */
const field = text.filter((value) => value !== '' && value.isWellFormed() && !LINE_OR_NUL.test(value));
const retry = fc.option(fc.maxSafeNat(), { nil: undefined });

/** What a client must see as `data`: SSE turns every CRLF and CR into LF. */
const asReceived = (data: string): string => data.replace(/\r\n|\r/g, '\n');

/** Splits `text` at the given fractions of its length. */
function chunksOf(text: string, cuts: readonly number[]): string[] {
  const points = [...new Set(cuts.map((cut) => Math.floor(cut * text.length)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(text.slice(start, point));
    start = point;
  }
  chunks.push(text.slice(start));
  return chunks;
}

interface Parsed {
  readonly events: EventSourceMessage[];
  readonly retries: number[];
  readonly comments: string[];
}

function parseChunks(chunks: readonly string[]): Parsed {
  const parsed: Parsed = { events: [], retries: [], comments: [] };
  const parser = createParser({
    onEvent: (event) => parsed.events.push(event),
    onRetry: (value) => parsed.retries.push(value),
    onComment: (comment) => parsed.comments.push(comment),
    onError: (error) => {
      throw error;
    },
  });
  for (const chunk of chunks) parser.feed(chunk);
  return parsed;
}

/** The bytes on the wire (UTF-8, as Node writes a string), decoded the way a browser does, in pieces. */
function overTheWire(text: string, cuts: readonly number[]): string[] {
  const bytes = new TextEncoder().encode(text);
  const decoder = new TextDecoder('utf-8');
  const points = [...new Set(cuts.map((cut) => Math.floor(cut * bytes.length)))].sort((a, b) => a - b);
  const chunks: string[] = [];
  let start = 0;
  for (const point of points) {
    chunks.push(decoder.decode(bytes.subarray(start, point), { stream: true }));
    start = point;
  }
  chunks.push(decoder.decode(bytes.subarray(start)));
  return chunks;
}

const cuts = fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 });

describe('frameEvent data (property)', () => {
  it('round-trips any data as exactly one event, through both parsers and any chunking', () => {
    fc.assert(
      fc.property(text, cuts, (data, at) => {
        const frame = frameEvent({ event: 'new_item', id: '1.a', data });

        const chunked = parseChunks(chunksOf(frame, at));
        const reference = parseWhatwg(frame);

        expect(chunked).toEqual({
          events: [{ event: 'new_item', id: '1.a', data: asReceived(data) }],
          retries: [],
          comments: [],
        });
        expect(reference).toEqual({
          events: [{ type: 'new_item', lastEventId: '1.a', data: asReceived(data) }],
          retries: [],
          comments: [],
        });
      }),
      { numRuns: 500 },
    );
  });

  it('round-trips very long data', () => {
    fc.assert(
      fc.property(longText, (data) => {
        const frame = frameEvent({ event: 'new_item', id: '1.a', data });

        expect(parseWhatwg(frame).events).toEqual([{ type: 'new_item', lastEventId: '1.a', data: asReceived(data) }]);
        expect(parseChunks([frame]).events).toEqual([{ event: 'new_item', id: '1.a', data: asReceived(data) }]);
      }),
      { numRuns: 20 },
    );
  });

  it('survives UTF-8 on the wire: well-formed data arrives unchanged, a lone surrogate as U+FFFD, never a field', () => {
    fc.assert(
      fc.property(text, cuts, (data, at) => {
        // What a connection sends first, then the event: a BOM in the data is never at the stream's start.
        const wire = overTheWire(frameRetry(3000) + frameEvent({ event: 'new_item', id: '1.a', data }), at);

        const parsed = parseChunks(wire);

        expect(parsed).toEqual({
          events: [{ event: 'new_item', id: '1.a', data: asReceived(data.toWellFormed()) }],
          retries: [3000],
          comments: [],
        });
      }),
      { numRuns: 300 },
    );
  });

  it('keeps consecutive frames apart: n frames are n events, in order', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(field, field, text), { minLength: 1, maxLength: 5 }), cuts, (events, at) => {
        const stream = events.map(([event, id, data]) => frameEvent({ event, id, data })).join('');

        const parsed = parseChunks(chunksOf(stream, at));

        expect(parsed.events).toEqual(events.map(([event, id, data]) => ({ event, id, data: asReceived(data) })));
        expect(parseWhatwg(stream).events).toEqual(
          events.map(([type, lastEventId, data]) => ({ type, lastEventId, data: asReceived(data) })),
        );
      }),
      { numRuns: 200 },
    );
  });
});

describe('frameEvent event, id and retry (property)', () => {
  it('round-trips any acceptable event name, id and retry exactly', () => {
    fc.assert(
      fc.property(field, field, retry, text, (event, id, retryMs, data) => {
        const frame = frameEvent({ event, id, data, ...(retryMs === undefined ? {} : { retry: retryMs }) });

        const parsed = parseChunks([frame]);

        expect(parsed.events).toEqual([{ event, id, data: asReceived(data) }]);
        expect(parsed.retries).toEqual(retryMs === undefined ? [] : [retryMs]);
        expect(parseWhatwg(frame).events).toEqual([{ type: event, lastEventId: id, data: asReceived(data) }]);
      }),
      { numRuns: 500 },
    );
  });

  it('refuses an event name or id with CR, LF or NUL, or that is not well-formed', () => {
    const bad = fc
      .tuple(text, fc.constantFrom('\r', '\n', '\r\n', '\0', '\uD800', '\uDFFF'), text)
      .map(([before, breaker, after]) => `${before}${breaker}${after}`)
      // A lone half may pair up with its neighbour into a valid character: then it is not bad.
      .filter((value) => LINE_OR_NUL.test(value) || !value.isWellFormed());
    fc.assert(
      fc.property(bad, field, fc.boolean(), (badValue, good, inEvent) => {
        const event = inEvent ? badValue : good;
        const id = inEvent ? good : badValue;

        expect(() => frameEvent({ event, id, data: '{}' })).toThrow(/SSE (event|id) must/);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses an empty event name, which a browser would dispatch as "message"', () => {
    expect(() => frameEvent({ event: '', id: '1', data: '{}' })).toThrow(/SSE event must not be empty/);
  });

  it('refuses any retry that is not a non-negative safe integer', () => {
    const badRetry = fc.oneof(
      fc.integer({ max: -1 }),
      fc.double().filter((value) => !Number.isSafeInteger(value) || value < 0),
      fc.constantFrom(Number.NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 1, -0.5),
    );
    fc.assert(
      fc.property(badRetry, (value) => {
        expect(() => frameEvent({ event: 'x', id: '1', data: '', retry: value })).toThrow(/retry/);
        expect(() => frameRetry(value)).toThrow(/retry/);
      }),
    );
  });
});

describe('frameComment (property)', () => {
  it('turns any text into comments only: no event, field or retry', () => {
    fc.assert(
      fc.property(text, cuts, (comment, at) => {
        const frame = frameComment(comment);

        const parsed = parseChunks(chunksOf(frame, at));

        expect(parsed.events).toEqual([]);
        expect(parsed.retries).toEqual([]);
        expect(parsed.comments).toEqual(asReceived(comment).split('\n'));
        expect(parseWhatwg(frame)).toEqual({ events: [], retries: [], comments: asReceived(comment).split('\n') });
      }),
      { numRuns: 300 },
    );
  });
});
