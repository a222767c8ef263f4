/**
 * The REST client's error types, from the contract: every operation answers its errors as
 * problem+json (RFC 9457), except the 429 that AWS Lambda answers itself, before tickerpulse's
 * handler runs, with a body of its own (components/schemas/LambdaThrottle). openapi-fetch types
 * `error` as the union of the error bodies an operation documents; these names spell that union
 * out, per operation and per status, and the guards tell the two apart at run time.
 *
 * The guards matter because the types describe the contract, not every answer that can arrive: a
 * proxy's HTML error page comes through as its text, an empty error body as undefined
 * (docs/client.md, "What a call returns, and what it throws").
 */
import type { FetchResponse } from 'openapi-fetch';
import type { components } from '../../generated/openapi/schema.d.ts';
import type { RestPaths } from './rest.ts';

/** One object type, as openapi-fetch hands bodies over (the generated LambdaThrottle is an intersection). */
type Flat<T> = { [K in keyof T]: T[K] };

type Problem = Flat<components['schemas']['Problem']>;
type LambdaThrottle = Flat<components['schemas']['LambdaThrottle']>;

/** Every error body the contract documents: what `error` is typed as on every operation. */
type RestError = Problem | LambdaThrottle;

type HttpMethod = 'get' | 'put' | 'post' | 'delete' | 'options' | 'head' | 'patch' | 'trace';

/** The methods the contract has an operation for on `Path`. */
type RestMethod<Path extends keyof RestPaths> = {
  [Method in HttpMethod]: RestPaths[Path][Method] extends { responses: object } ? Method : never;
}[HttpMethod];

type Responses<Path extends keyof RestPaths, Method extends RestMethod<Path>> = RestPaths[Path][Method] extends {
  responses: infer R;
}
  ? R
  : never;

/** The statuses (400 to 599) the contract documents for one operation, e.g. `ErrorStatus<'/api/v2/items', 'post'>`. */
type ErrorStatus<Path extends keyof RestPaths, Method extends RestMethod<Path>> =
  Extract<keyof Responses<Path, Method>, number> extends infer Status
    ? Status extends number
      ? `${Status}` extends `4${string}` | `5${string}`
        ? Status
        : never
      : never
    : never;

/**
 * The body the contract documents for `Status` on one operation (Problem, or LambdaThrottle at
 * 429): openapi-fetch's own `error` type for an operation that had only that status.
 */
type ErrorBody<
  Path extends keyof RestPaths,
  Method extends RestMethod<Path>,
  Status extends ErrorStatus<Path, Method>,
> = NonNullable<
  FetchResponse<{ responses: Pick<Responses<Path, Method>, Status> }, unknown, `${string}/${string}`>['error']
>;

const isJsonObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * A problem details object as the contract requires it: `type` and `title` strings and an integer
 * `status` of an error (400 to 599); other members are optional, so they are not checked.
 */
function isProblem(value: unknown): value is Problem {
  if (!isJsonObject(value)) return false;
  const { type, title, status } = value;
  return (
    typeof type === 'string' &&
    typeof title === 'string' &&
    typeof status === 'number' &&
    Number.isInteger(status) &&
    status >= 400 &&
    status <= 599
  );
}

/**
 * Lambda's throttle body: the contract promises only a JSON object (its fields are Lambda's to
 * change), typed `Reason`, `Type` and `message` strings when present. It is never a problem, so a
 * problem is not taken for one.
 */
function isLambdaThrottle(value: unknown): value is LambdaThrottle {
  if (!isJsonObject(value) || isProblem(value)) return false;
  return ['Reason', 'Type', 'message'].every((field) => value[field] === undefined || typeof value[field] === 'string');
}

export type { ErrorBody, ErrorStatus, LambdaThrottle, Problem, RestError, RestMethod };
export { isLambdaThrottle, isProblem };
