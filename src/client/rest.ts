/**
 * The typed REST client: openapi-fetch over the types generated from specs/openapi.yaml, so a
 * path, a parameter, a body or a response field that the contract does not have is a type error.
 * It is a thin setup, not a wrapper: what it returns is openapi-fetch's client (`GET`, `POST`,
 * `PUT`, `DELETE`, middleware), documented at https://openapi-ts.dev/openapi-fetch/.
 *
 * The two SSE endpoints are left out of its paths: openapi-fetch would wait for the end of a
 * stream that does not end. Use subscribe() (stream.ts) for those.
 */
import { type Client, type ClientOptions, default as createClient } from 'openapi-fetch';
import type { paths } from '../../generated/openapi/schema.d.ts';

/** The stream endpoints (`text/event-stream`), served by subscribe() instead. */
type StreamPath = '/api/v2/stream' | '/api/v2/configurations/{config_id}/stream';

/** Every REST path of the contract but the two streams. */
type RestPaths = Omit<paths, StreamPath>;

type RestClient = Client<RestPaths>;

interface RestClientOptions {
  /** Where the API is, e.g. `http://127.0.0.1:3000` or the mock's `http://127.0.0.1:4010`. */
  readonly baseUrl: string;
  /** Sent with every request, e.g. `{ 'x-user-id': 'dev-user' }` or `{ authorization: 'Bearer …' }`. */
  readonly headers?: Record<string, string>;
  /** The fetch to use (default: the global one). */
  readonly fetch?: ClientOptions['fetch'];
}

function createRestClient(options: RestClientOptions): RestClient {
  return createClient<RestPaths>({
    baseUrl: options.baseUrl.replace(/\/+$/, ''),
    ...(options.headers === undefined ? {} : { headers: options.headers }),
    ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
  });
}

export type { RestClient, RestClientOptions, RestPaths, StreamPath };
export { createRestClient };
