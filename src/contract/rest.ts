/**
 * The REST half of the contract: types of every schema and operation, and checks of requests and
 * responses against the generated validators.
 */

import type { components, operations as OperationTypes } from '../../generated/openapi/schema.d.ts';
import { operations, problem, type Validator } from '../../generated/operations.ts';
import { type Parsed, toIssues } from './issues.ts';

type Schemas = components['schemas'];
type OperationId = keyof typeof operations;
type HttpMethod = (typeof operations)[OperationId]['method'];

type QueryOf<Op extends OperationId> = (typeof operations)[Op]['query'] extends Validator<infer T> ? T : never;
type PathParamsOf<Op extends OperationId> =
  (typeof operations)[Op]['pathParams'] extends Validator<infer T> ? T : never;
type BodyOf<Op extends OperationId> = (typeof operations)[Op]['body'] extends Validator<infer T> ? T : never;
type StatusOf<Op extends OperationId> = keyof (typeof operations)[Op]['responses'] & number;
type ResponseOf<Op extends OperationId, S extends StatusOf<Op>> =
  OperationTypes[Op]['responses'] extends Record<S, { content: infer C }> ? C[keyof C] : never;

/**
 * Checks the query string of `operation`. Values arrive as strings and are coerced in a copy
 * (`limit=20` → 20) with defaults filled in; parameters the operation does not define are issues.
 */
function parseQuery<Op extends OperationId>(operation: Op, query: Record<string, unknown>): Parsed<QueryOf<Op>> {
  const validate = operations[operation].query as Validator<QueryOf<Op>>;
  const copy = { ...query };
  return validate(copy) ? { ok: true, value: copy } : { ok: false, issues: toIssues('query', validate.errors) };
}

/** Checks the path parameters of `operation` (e.g. that `config_id` is a UUID). */
function parsePathParams<Op extends OperationId>(
  operation: Op,
  params: Record<string, string>,
): Parsed<PathParamsOf<Op>> {
  const validate = operations[operation].pathParams as Validator<PathParamsOf<Op>> | null;
  if (validate === null) throw new Error(`${operation} has no path parameters`);
  const copy = { ...params };
  return validate(copy) ? { ok: true, value: copy } : { ok: false, issues: toIssues('path', validate.errors) };
}

/** Checks a parsed JSON request body of `operation`. */
function parseBody<Op extends OperationId>(operation: Op, body: unknown): Parsed<BodyOf<Op>> {
  const validate = operations[operation].body as Validator<BodyOf<Op>> | null;
  if (validate === null) throw new Error(`${operation} takes no request body`);
  return validate(body) ? { ok: true, value: body } : { ok: false, issues: toIssues('body', validate.errors) };
}

/** What the contract says about one response: its content type and a validator for its body. */
interface ResponseContract {
  readonly contentType: string | null;
  readonly validate: Validator<unknown> | null;
}

/** The documented response of `operation` for `status`, or undefined if the contract lists none. */
function responseContract(operation: OperationId, status: number): ResponseContract | undefined {
  const responses: Partial<Record<number, ResponseContract>> = operations[operation].responses;
  return responses[status];
}

/**
 * Checks a response against the contract: the status must be documented for the operation, the
 * content type must match, and a JSON body must validate. Used by tests on every response.
 */
function checkResponse(
  operation: OperationId,
  status: number,
  contentType: string | null,
  body: unknown,
): Parsed<unknown> {
  const contract = responseContract(operation, status);
  const fail = (message: string): Parsed<unknown> => ({
    ok: false,
    issues: [{ location: 'body', pointer: '', message }],
  });
  if (contract === undefined) return fail(`${operation} does not document status ${status}`);
  const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() ?? null;
  if (contract.contentType !== mediaType) {
    return fail(
      `${operation} ${status}: content type ${mediaType ?? 'none'}, contract says ${contract.contentType ?? 'none'}`,
    );
  }
  if (contract.validate === null) return { ok: true, value: body };
  return contract.validate(body)
    ? { ok: true, value: body }
    : { ok: false, issues: toIssues('body', contract.validate.errors) };
}

/** Checks an RFC 9457 problem body (any error answer, including unknown routes). */
function checkProblem(body: unknown): Parsed<Schemas['Problem']> {
  return problem(body) ? { ok: true, value: body } : { ok: false, issues: toIssues('body', problem.errors) };
}

interface OperationMatch {
  readonly operationId: OperationId;
  readonly pathParams: Record<string, string>;
}

const routes = (Object.keys(operations) as OperationId[]).map((operationId) => {
  const { method, path } = operations[operationId];
  const names: string[] = [];
  const source = path
    .split(/(\{[^}]+\})/)
    .map((part) => {
      const name = /^\{([^}]+)\}$/.exec(part)?.[1];
      if (name === undefined) return part.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(name);
      return '([^/]+)';
    })
    .join('');
  return { operationId, method, names, pattern: new RegExp(`^${source}$`) };
});

/** The operation serving `method` on `pathname` (no query string), with its raw path parameters. */
function matchOperation(method: string, pathname: string): OperationMatch | undefined {
  const wanted = method.toLowerCase();
  for (const route of routes) {
    if (route.method !== (wanted as HttpMethod)) continue;
    const match = route.pattern.exec(pathname);
    if (match === null) continue;
    const pathParams = Object.fromEntries(route.names.map((name, i) => [name, decodeURIComponent(match[i + 1] ?? '')]));
    return { operationId: route.operationId, pathParams };
  }
  return undefined;
}

export type {
  BodyOf,
  HttpMethod,
  OperationId,
  OperationMatch,
  PathParamsOf,
  QueryOf,
  ResponseContract,
  ResponseOf,
  Schemas,
  StatusOf,
};
export {
  checkProblem,
  checkResponse,
  matchOperation,
  operations,
  parseBody,
  parsePathParams,
  parseQuery,
  responseContract,
};
