/**
 * Incremental decoder of one SSE response read straight off a socket: the HTTP/1.1 response head,
 * then the body (chunked transfer encoding, which node:http uses for streams without a
 * Content-Length, or raw bytes until close), then SSE frames split per the WHATWG event-stream
 * rules. Hand-written because an http.request and an EventSource per client cost too much memory
 * and CPU at 10,000 clients in one process, and the clients must not be the bottleneck.
 *
 * Every input may end anywhere (inside the head, a chunk-size line, a chunk's CRLF, a UTF-8
 * sequence, or between the CR and LF of a line end); state carries across calls.
 */
import { StringDecoder } from 'node:string_decoder';

/** Where the decoded response goes; one sink serves every connection, told apart by `client`. */
interface SseWireSink {
  /** The response head arrived with this status; `chunked` says how the body is framed. */
  onHead(client: number, status: number, chunked: boolean): void;
  /**
   * A frame ended (a blank line). `data` is undefined when it had no `data:` line: such a frame
   * dispatches no event (e.g. a bare `retry:`), but still shows the stream is flowing.
   */
  onFrame(client: number, event: string, data: string | undefined, receivedAt: number): void;
  /** The body ended (terminating chunk) or the bytes made no sense. */
  onBodyEnd(client: number, error: string | undefined): void;
}

/** A response head larger than this is treated as garbage rather than buffered forever. */
const MAX_HEAD_BYTES = 16 * 1024;
/** Likewise for a chunk-size line (hex digits plus optional extensions). */
const MAX_SIZE_LINE = 256;
/** Likewise for one SSE line; tickerpulse's largest events are a few KiB. */
const MAX_LINE_CHARS = 1024 * 1024;

const HEAD_END = Buffer.from('\r\n\r\n');
const LF = 0x0a;

// Body framing states; plain numbers keep the per-byte switch cheap.
const S_HEAD = 0;
const S_CHUNK_SIZE = 1;
const S_CHUNK_DATA = 2;
const S_CHUNK_END = 3;
const S_IDENTITY = 4;
const S_DONE = 5;

/** Decoder state of one connection. */
class SseWireDecoder {
  readonly #client: number;
  readonly #sink: SseWireSink;
  #state = S_HEAD;
  #head: Buffer | undefined;
  #sizeLine = '';
  #chunkLeft = 0;
  #text: StringDecoder | undefined;
  // SSE line state.
  #partialLine = '';
  #afterCR = false;
  #event = '';
  #data: string | undefined;

  constructor(client: number, sink: SseWireSink) {
    this.#client = client;
    this.#sink = sink;
  }

  /** Feeds bytes as they arrive; `receivedAt` (performance.now()) is stamped on every frame they complete. */
  push(bytes: Buffer, receivedAt: number): void {
    let pos = 0;
    while (pos < bytes.length) {
      switch (this.#state) {
        case S_HEAD: {
          const consumed = this.#readHead(bytes, pos);
          if (consumed < 0) return;
          pos = consumed;
          break;
        }
        case S_CHUNK_SIZE: {
          const lf = bytes.indexOf(LF, pos);
          const end = lf < 0 ? bytes.length : lf;
          this.#sizeLine += bytes.toString('latin1', pos, end);
          if (this.#sizeLine.length > MAX_SIZE_LINE) {
            this.#fail('chunk-size line too long');
            return;
          }
          if (lf < 0) return;
          pos = lf + 1;
          const size = Number.parseInt(this.#sizeLine.split(';')[0]?.trim() ?? '', 16);
          this.#sizeLine = '';
          if (!Number.isFinite(size) || size < 0) {
            this.#fail('bad chunk size');
            return;
          }
          if (size === 0) {
            this.#state = S_DONE;
            this.#sink.onBodyEnd(this.#client, undefined);
            return;
          }
          this.#chunkLeft = size;
          this.#state = S_CHUNK_DATA;
          break;
        }
        case S_CHUNK_DATA: {
          const take = Math.min(this.#chunkLeft, bytes.length - pos);
          this.#payload(bytes.subarray(pos, pos + take), receivedAt);
          this.#chunkLeft -= take;
          pos += take;
          if (this.#chunkLeft === 0) this.#state = S_CHUNK_END;
          break;
        }
        case S_CHUNK_END: {
          // The CRLF after a chunk's data, possibly split across reads: skip through its LF.
          const lf = bytes.indexOf(LF, pos);
          if (lf < 0) return;
          pos = lf + 1;
          this.#state = S_CHUNK_SIZE;
          break;
        }
        case S_IDENTITY:
          this.#payload(bytes.subarray(pos), receivedAt);
          return;
        default:
          return;
      }
    }
  }

  /** Returns the offset after the head, or -1 when more bytes are needed (or it failed). */
  #readHead(bytes: Buffer, pos: number): number {
    const previous = this.#head?.length ?? 0;
    const all = this.#head === undefined ? bytes.subarray(pos) : Buffer.concat([this.#head, bytes.subarray(pos)]);
    // Search from just before the new bytes: the terminator may straddle two reads.
    const end = all.indexOf(HEAD_END, Math.max(0, previous - 3));
    if (end < 0) {
      if (all.length > MAX_HEAD_BYTES) this.#fail('response head too long');
      else this.#head = Buffer.from(all);
      return -1;
    }
    this.#head = undefined;
    const head = all.toString('latin1', 0, end);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(head)?.[1] ?? 0);
    const chunked = /^transfer-encoding:[^\r\n]*\bchunked\b/im.test(head);
    this.#state = chunked ? S_CHUNK_SIZE : S_IDENTITY;
    this.#sink.onHead(this.#client, status, chunked);
    if (this.#state === S_DONE) return -1; // the sink gave up on this response
    return pos + (end + HEAD_END.length - previous);
  }

  #payload(bytes: Buffer, receivedAt: number): void {
    this.#text ??= new StringDecoder('utf8');
    this.#lines(this.#text.write(bytes), receivedAt);
  }

  /** Splits text into lines ending in CRLF, LF or CR, carrying a partial line to the next call. */
  #lines(text: string, receivedAt: number): void {
    let start = 0;
    if (this.#afterCR && text.charCodeAt(0) === LF) start = 1; // second half of a CRLF split across reads
    this.#afterCR = false;
    const length = text.length;
    for (let i = start; i < length; i += 1) {
      const code = text.charCodeAt(i);
      if (code !== 0x0a && code !== 0x0d) continue;
      const line = this.#partialLine === '' ? text.slice(start, i) : this.#partialLine + text.slice(start, i);
      this.#partialLine = '';
      if (code === 0x0d) {
        if (i + 1 < length) {
          if (text.charCodeAt(i + 1) === 0x0a) i += 1;
        } else {
          this.#afterCR = true;
        }
      }
      start = i + 1;
      this.#line(line, receivedAt);
      if (this.#state === S_DONE) return;
    }
    if (start < length) {
      this.#partialLine += text.slice(start);
      if (this.#partialLine.length > MAX_LINE_CHARS) this.#fail('SSE line too long');
    }
  }

  #line(line: string, receivedAt: number): void {
    if (line === '') {
      const data = this.#data;
      const event = this.#event === '' ? 'message' : this.#event;
      this.#event = '';
      this.#data = undefined;
      this.#sink.onFrame(this.#client, event, data, receivedAt);
      return;
    }
    const colon = line.indexOf(':');
    if (colon === 0) return; // comment
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 0x20) value = value.slice(1);
    if (field === 'data') this.#data = this.#data === undefined ? value : `${this.#data}\n${value}`;
    else if (field === 'event') this.#event = value;
    // `id` and `retry` matter to reconnecting clients only; these never reconnect.
  }

  /** Stops decoding; later bytes are ignored. */
  stop(): void {
    this.#state = S_DONE;
  }

  #fail(reason: string): void {
    this.#state = S_DONE;
    this.#sink.onBodyEnd(this.#client, reason);
  }
}

export type { SseWireSink };
export { SseWireDecoder };
