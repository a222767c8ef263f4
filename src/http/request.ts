/** Checks a request's query, path parameters and body against the contract; 400 with every issue otherwise. */
import type { Request } from 'express';
import {
  type OperationId,
  operations,
  parseBody,
  parsePathParams,
  parseQuery,
  type ValidationIssue,
} from '../contract/index.ts';
import { BadRequestError } from './errors.ts';

interface ParsedRequest {
  readonly query: unknown;
  readonly pathParams: unknown;
  readonly body: unknown;
}

function parseRequest(operationId: OperationId, req: Request): ParsedRequest {
  const issues: ValidationIssue[] = [];
  const query = parseQuery(operationId, req.query as Record<string, unknown>);
  if (!query.ok) issues.push(...query.issues);
  let pathParams: unknown = {};
  if (operations[operationId].pathParams !== null) {
    const parsed = parsePathParams(operationId, req.params as Record<string, string>);
    if (parsed.ok) pathParams = parsed.value;
    else issues.push(...parsed.issues);
  }
  let body: unknown;
  if (operations[operationId].body !== null) {
    // express.json leaves the body undefined when there was none.
    const parsed = parseBody(operationId, req.body ?? null);
    if (parsed.ok) body = parsed.value;
    else if (req.body === undefined) issues.push({ location: 'body', pointer: '', message: 'a JSON body is required' });
    else issues.push(...parsed.issues);
  }
  if (issues.length > 0)
    throw new BadRequestError('The request does not match the contract.', { issues: issues.slice(0, 100) });
  return { query: query.ok ? query.value : {}, pathParams, body };
}

export type { ParsedRequest };
export { parseRequest };
