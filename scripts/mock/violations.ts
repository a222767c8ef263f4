/**
 * What is wrong with a request to the REST mock, as the `errors` of a 400 problem. Prism checks
 * each request against specs/openapi.yaml and lists what it found in its `sl-violations` response
 * header, but its 400 body is the response's first example, which names another field (`/tickr`).
 *
 * The real server's own checks come first ({@link requestIssues}): the query and path parameters
 * and the JSON body, checked by the same validators (src/contract), so each entry reads as the real
 * server words it, and a query parameter the operation does not define (or one given twice), which
 * Prism lets through, is refused as the real server refuses it. Prism's violations
 * ({@link violationIssues}) name what those checks do not cover (headers), and anything Prism
 * refused that they did not, so that no 400 goes out without its reasons.
 */
import {
  MAX_ISSUES,
  type OperationId,
  operations,
  parseBody,
  parsePathParams,
  parseQuery,
  type ValidationIssue,
} from '../../src/contract/index.ts';
import { clip } from './echo.ts';
import { apiQuery } from './prefer.ts';

/** One entry of `sl-violations`, as Prism writes it. */
interface PrismViolation {
  readonly location: readonly string[];
  readonly severity: string;
  readonly code: string | number;
  readonly message: string;
}

/** The Problem schema's cap on an entry's pointer and message. */
const MAX_ENTRY = 500;
/** One violation object; Prism cuts a long header short ("Too many violations! […"), so each is read alone. */
const VIOLATION =
  /\{"location":\[(?:"(?:[^"\\]|\\.)*",?)*\],"severity":"[^"]*","code":(?:"[^"]*"|\d+),"message":"(?:[^"\\]|\\.)*"\}/g;
const PARTS = new Set(['query', 'path', 'header', 'body']);

const escapePointer = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');
const quoted = (message: string): string | undefined => /(?:property|found) '([^']*)'/.exec(message)?.[1];

/** One violation as the real server would word it (src/contract/issues.ts), or undefined if it is not about the request. */
function issueOf(violation: PrismViolation): ValidationIssue | undefined {
  const [origin, part, ...path] = violation.location;
  if (violation.severity !== 'Error' || origin !== 'request') return undefined;
  if (part === undefined) {
    // Prism's "Body parameter is required": no body where the operation needs one.
    return violation.code === 'required'
      ? { location: 'body', pointer: '', message: 'a JSON body is required' }
      : undefined;
  }
  if (!PARTS.has(part)) return undefined;
  const location = part as ValidationIssue['location'];
  const pointer = path.map((key) => `/${escapePointer(key)}`).join('');
  const name = quoted(violation.message);
  let entry: { pointer: string; message: string };
  if (violation.code === 'required' && name !== undefined) {
    entry = { pointer: `${pointer}/${escapePointer(name)}`, message: 'is required' };
  } else if (violation.code === 'additionalProperties' && name !== undefined) {
    entry = { pointer: `${pointer}/${escapePointer(name)}`, message: 'is not allowed here (unknown field)' };
  } else if (violation.code === 'pattern') {
    entry = { pointer, message: 'has characters or a shape that is not allowed' };
  } else {
    const message = violation.message
      .replace(/^Request (?:(?:query|path|header) parameter|body property) \S+ /, '')
      .replace(/^Request body /, '')
      .replace(/^must be equal to one of the allowed values: /, 'must be one of: ');
    entry = { pointer, message };
  }
  return { location, pointer: clip(entry.pointer, MAX_ENTRY), message: clip(entry.message, MAX_ENTRY) };
}

/** The request violations of an `sl-violations` header (whole or cut short), at most MAX_ISSUES. */
function violationIssues(header: string | undefined): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const seen = new Set<string>();
  for (const [text] of (header ?? '').matchAll(VIOLATION)) {
    let issue: ValidationIssue | undefined;
    try {
      issue = issueOf(JSON.parse(text) as PrismViolation);
    } catch {
      continue;
    }
    const key = issue === undefined ? '' : `${issue.location}\n${issue.pointer}\n${issue.message}`;
    if (issue === undefined || seen.has(key)) continue;
    seen.add(key);
    issues.push(issue);
    if (issues.length === MAX_ISSUES) break;
  }
  return issues;
}

/** What a JSON body of a request holds: nothing sent, or the parsed value. */
type RequestBody = { readonly sent: false } | { readonly sent: true; readonly value: unknown };

/** The real server's checks of a request's query, path parameters and JSON body (src/http/request.ts). */
function requestIssues(
  operationId: OperationId,
  query: URLSearchParams,
  pathParams: Record<string, string>,
  body: RequestBody,
): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const parsedQuery = parseQuery(operationId, apiQuery(query));
  if (!parsedQuery.ok) issues.push(...parsedQuery.issues);
  if (operations[operationId].pathParams !== null) {
    const parsed = parsePathParams(operationId, pathParams);
    if (!parsed.ok) issues.push(...parsed.issues);
  }
  if (operations[operationId].body !== null) {
    if (!body.sent) issues.push({ location: 'body', pointer: '', message: 'a JSON body is required' });
    else {
      const parsed = parseBody(operationId, body.value);
      if (!parsed.ok) issues.push(...parsed.issues);
    }
  }
  return issues.slice(0, MAX_ISSUES);
}

/**
 * The `errors` of the 400: the real server's issues, with Prism's for the headers, which those
 * checks do not read; Prism's alone when the real server's checks find nothing.
 */
function mergeIssues(own: readonly ValidationIssue[], prism: readonly ValidationIssue[]): ValidationIssue[] {
  if (own.length === 0) return [...prism];
  return [...own, ...prism.filter((issue) => issue.location === 'header')].slice(0, MAX_ISSUES);
}

export type { RequestBody };
export { mergeIssues, requestIssues, violationIssues };
