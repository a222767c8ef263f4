/**
 * The Lambda runtime's streaming API: the `awslambda` global inside Lambda, a faithful local
 * stand-in elsewhere (tests, local runs), so the same handler code runs in both.
 *
 * Wire format, as the runtime interface client writes it (src/stream/http-response-stream.ts):
 * on the first write, the JSON prelude `{statusCode, headers}`, then exactly 8 NUL bytes, then
 * the body. The Function URL turns the prelude into the status line and headers.
 */
import { Writable } from 'node:stream';
import type { Context, LambdaFunctionURLEvent } from 'aws-lambda';

interface Prelude {
  readonly statusCode: number;
  readonly headers?: Record<string, string>;
}

type StreamingHandler = (event: LambdaFunctionURLEvent, responseStream: Writable, context: Context) => Promise<void>;

interface AwsLambdaGlobal {
  streamifyResponse(handler: StreamingHandler): StreamingHandler;
  HttpResponseStream: { from(stream: Writable, prelude: Prelude): Writable };
}

// @types/aws-lambda declares the global with its own types; ours is the subset we use.
const runtime = (globalThis as unknown as { awslambda?: AwsLambdaGlobal }).awslambda;

/** The 8 NUL bytes that separate the prelude from the body. */
const PRELUDE_SEPARATOR = Buffer.alloc(8);

const localAwsLambda: AwsLambdaGlobal = {
  streamifyResponse: (handler) => handler,
  HttpResponseStream: {
    from(stream, prelude) {
      let first = true;
      const head = () => {
        if (!first) return Buffer.alloc(0);
        first = false;
        return Buffer.concat([Buffer.from(JSON.stringify(prelude)), PRELUDE_SEPARATOR]);
      };
      return new Writable({
        write(chunk: Buffer, _encoding, callback) {
          // Honour the underlying stream's backpressure, as the runtime's stream does.
          if (stream.write(Buffer.concat([head(), chunk]))) callback();
          else stream.once('drain', () => { callback(); });
        },
        final(callback) {
          const rest = head();
          if (rest.length > 0) stream.write(rest);
          stream.end(callback);
        },
      });
    },
  },
};

const awslambda: AwsLambdaGlobal = runtime ?? localAwsLambda;

export type { AwsLambdaGlobal, Prelude, StreamingHandler };
export { awslambda, PRELUDE_SEPARATOR };
