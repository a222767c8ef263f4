/**
 * Parses SSE text into frames with eventsource-parser, which implements the WHATWG parsing rules
 * (field splitting, multi-line data, comments, `retry`), so tests read frames as a browser would.
 */
import { createParser } from 'eventsource-parser';
import type { RawFrame } from '../../src/contract/index.ts';

interface ParsedSse {
  readonly frames: RawFrame[];
  readonly retries: number[];
  readonly comments: string[];
}

function parseSseText(text: string): ParsedSse {
  const frames: RawFrame[] = [];
  const retries: number[] = [];
  const comments: string[] = [];
  const parser = createParser({
    // An event without `event:` is a `message` per the spec; the contract has none, so it fails loudly.
    onEvent: (message) => frames.push({ event: message.event ?? 'message', id: message.id, data: message.data }),
    onRetry: (retry) => retries.push(retry),
    onComment: (comment) => comments.push(comment),
  });
  parser.feed(text);
  return { frames, retries, comments };
}

export type { ParsedSse };
export { parseSseText };
