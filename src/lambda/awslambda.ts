/**
 * The Lambda runtime's streaming API: the `awslambda` global inside Lambda, a local stand-in
 * elsewhere (in-process tests, local runs), so the same handler code runs in both. The tests
 * also run the handlers under AWS's own runtime client (aws-lambda-ric), which this mirrors.
 *
 * Wire format, as the runtime interface client writes it: on the first write only, the JSON
 * prelude `{statusCode, headers}`, then exactly 8 NUL bytes, then the body; a stream ended
 * without a write sends no prelude at all. The Function URL turns the prelude into the status
 * line and headers.
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
          else
            stream.once('drain', () => {
              callback();
            });
        },
        // Like the runtime client: no write, no prelude.
        final(callback) {
          stream.end(callback);
        },
      });
    },
  },
};

/**
 * The runtime's API when it is really there. Checked per use, and for the functions themselves:
 * @aws/lambda-invoke-store (pulled in by the AWS SDK) sets `globalThis.awslambda = {}` outside
 * Lambda, so the global's mere presence proves nothing.
 */
function current(): AwsLambdaGlobal {
  // @types/aws-lambda declares the global with its own types; ours is the subset we use.
  const candidate = (globalThis as unknown as { awslambda?: Partial<AwsLambdaGlobal> }).awslambda;
  return typeof candidate?.streamifyResponse === 'function' && typeof candidate.HttpResponseStream?.from === 'function'
    ? (candidate as AwsLambdaGlobal)
    : localAwsLambda;
}

const awslambda: AwsLambdaGlobal = {
  streamifyResponse: (handler) => current().streamifyResponse(handler),
  HttpResponseStream: { from: (stream, prelude) => current().HttpResponseStream.from(stream, prelude) },
};

export type { AwsLambdaGlobal, Prelude, StreamingHandler };
export { awslambda, PRELUDE_SEPARATOR };
