/**
 * The REST half of the contract: types of every schema and operation, and checks of requests and
 * responses against the generated validators.
 */

import type { components, operations as OperationTypes } from '../../generated/openapi/schema.d.ts';
import { operations, problem, type Validator } from '../../generated/operations.ts';
import { MAX_ISSUES, type Parsed, toIssues, type ValidationIssue } from './issues.ts';

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

type ParameterTypes = Readonly<Record<string, 'integer' | 'number' | 'boolean'>>;

/**
 * The only spellings of numbers in a query or path: plain decimal, no sign but a leading `-`, no
 * leading zeros, no `-0`, no exponent, hex, spaces or `+`, and at most 15 digits on each side of
 * the point so that the value is exact. JavaScript's Number() (what ajv's coercion uses) takes
 * `0x10`, `1e2`, ` 10` and `1e309` (Infinity); these do not.
 */
const INTEGER_TEXT = /^(?:0|-?[1-9][0-9]{0,14})$/;
const NUMBER_TEXT = /^-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,15})?$/;
/** Longer text cannot match either pattern; checked first so a pattern never sees long input. */
const MAX_NUMBER_TEXT = 32;

const TYPE_MESSAGES = {
  integer: 'must be an integer in plain decimal digits (e.g. 20)',
  number: 'must be a number in plain decimal notation (e.g. 0.5)',
  boolean: 'must be true or false',
} as const;

/** A parameter's text as its contract type, or undefined when it is not spelt exactly that way. */
function fromText(text: string, type: ParameterTypes[string]): number | boolean | undefined {
  if (type === 'boolean') return text === 'true' ? true : text === 'false' ? false : undefined;
  if (text.length > MAX_NUMBER_TEXT) return undefined;
  return (type === 'integer' ? INTEGER_TEXT : NUMBER_TEXT).test(text) ? Number(text) : undefined;
}

const pointerTo = (name: string): string => `/${name.replaceAll('~', '~0').replaceAll('/', '~1')}`;

/**
 * Checks a set of query or path parameters: each must be given once, as text; numbers and
 * booleans are converted strictly (see INTEGER_TEXT); then the contract's validator checks the
 * converted copy and fills defaults. The input object is left untouched.
 */
function parseParameters<T>(
  location: 'query' | 'path',
  validate: Validator<T>,
  types: ParameterTypes,
  raw: Record<string, unknown>,
): Parsed<T> {
  const issues: ValidationIssue[] = [];
  const refused = new Set<string>();
  const refuse = (name: string, message: string) => {
    refused.add(pointerTo(name));
    issues.push({ location, pointer: pointerTo(name).slice(0, 500), message });
  };
  const entries: [string, unknown][] = [];
  for (const [name, value] of Object.entries(raw)) {
    // Repeated names (`limit=1&limit=2`) arrive as arrays: which one would count is ambiguous.
    if (typeof value !== 'string') {
      refuse(name, Array.isArray(value) ? 'is given more than once; give it once' : 'must be text');
      continue;
    }
    const type = Object.hasOwn(types, name) ? types[name] : undefined;
    if (type === undefined) {
      entries.push([name, value]);
      continue;
    }
    const converted = fromText(value, type);
    if (converted === undefined) refuse(name, TYPE_MESSAGES[type]);
    entries.push([name, converted ?? value]);
  }
  // fromEntries defines keys as data, so a parameter named `__proto__` is just an unknown key.
  const copy: unknown = Object.fromEntries(entries);
  if (validate(copy) && issues.length === 0) return { ok: true, value: copy };
  const checked = toIssues(location, validate.errors).filter((issue) => !refused.has(issue.pointer));
  return { ok: false, issues: [...issues, ...checked].slice(0, MAX_ISSUES) };
}

/**
 * Checks the query string of `operation`: values arrive as text and are converted strictly
 * (`limit=20` → 20, `limit=0x10` refused) in a copy with defaults filled in; parameters the
 * operation does not define, and repeated ones, are issues.
 */
function parseQuery<Op extends OperationId>(operation: Op, query: Record<string, unknown>): Parsed<QueryOf<Op>> {
  const { query: validate, queryTypes } = operations[operation];
  return parseParameters('query', validate as Validator<QueryOf<Op>>, queryTypes, query);
}

/** Checks the path parameters of `operation` (e.g. that `config_id` is a UUID). */
function parsePathParams<Op extends OperationId>(
  operation: Op,
  params: Record<string, string>,
): Parsed<PathParamsOf<Op>> {
  const { pathParams: validate, pathTypes } = operations[operation];
  if (validate === null) throw new Error(`${operation} has no path parameters`);
  return parseParameters('path', validate as Validator<PathParamsOf<Op>>, pathTypes, params);
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
  return { operationId, method, path, names, pattern: new RegExp(`^${source}$`) };
});

/**
 * A percent-decoded path segment; one that is not valid percent-encoding (`%ZZ`, `%ff`) is kept
 * as sent, so that it fails the parameter's validation (400) instead of throwing.
 */
function decodePathSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/**
 * Paths without parameters (`/api/v2/stream`, the busiest), looked up before the patterns are
 * tried in order. A path an earlier pattern also matches is left out, so the answer is the same.
 */
const exactRoutes = new Map<string, Map<string, OperationId>>();
routes.forEach((route, index) => {
  if (route.names.length > 0 || matchedEarlier(route, index)) return;
  const byMethod = exactRoutes.get(route.path) ?? new Map<string, OperationId>();
  exactRoutes.set(route.path, byMethod.set(route.method, route.operationId));
});

function matchedEarlier(route: (typeof routes)[number], index: number): boolean {
  return routes.slice(0, index).some((earlier) => earlier.method === route.method && earlier.pattern.test(route.path));
}

/** The operation serving `method` on `pathname` (no query string), with its raw path parameters. */
function matchOperation(method: string, pathname: string): OperationMatch | undefined {
  const wanted = method.toLowerCase();
  const exact = exactRoutes.get(pathname)?.get(wanted);
  if (exact !== undefined) return { operationId: exact, pathParams: {} };
  for (const route of routes) {
    if (route.method !== (wanted as HttpMethod)) continue;
    const match = route.pattern.exec(pathname);
    if (match === null) continue;
    const pathParams = Object.fromEntries(route.names.map((name, i) => [name, decodePathSegment(match[i + 1] ?? '')]));
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
