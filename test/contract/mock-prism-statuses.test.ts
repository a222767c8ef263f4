/**
 * `npm run mock`'s REST half: every status every operation of specs/openapi.yaml documents, asked
 * of Prism with `Prefer: code=<status>`, must come back with that status, a body valid for that
 * response, and, for an error, a problem naming that status with a type and title of the problem
 * registry (src/http/problem-types.ts, what the real server answers). Prism takes a schema's own
 * `examples` before the response's, so one example on a shared schema used to answer every status.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PrismMock, startPrismMock } from '../../scripts/mock/prism.ts';
import { checkResponse, type OperationId, operations } from '../../src/contract/index.ts';
import { PROBLEM_TYPES } from '../../src/http/problem-types.ts';
import { freePort } from '../support/free-port.ts';

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

const spec = parse(readFileSync(resolve(import.meta.dirname, '../../specs/openapi.yaml'), 'utf8')) as Node;

/** Follows local `$ref`s to the node they name. */
function deref(node: unknown): Node {
  let current = node;
  while (isNode(current) && typeof current.$ref === 'string') {
    current = current.$ref
      .slice(2)
      .split('/')
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((parent, key) => (isNode(parent) ? parent[key] : undefined), spec);
  }
  if (!isNode(current)) throw new Error(`not an object: ${JSON.stringify(node)}`);
  return current;
}

interface StatusCase {
  readonly name: string;
  readonly operationId: OperationId;
  readonly status: number;
  readonly url: string;
  readonly init: RequestInit & { headers: Record<string, string> };
  /** Headers the response documents with an example (Prism sends those). */
  readonly headers: readonly string[];
}

/** Credentials for the first way of authenticating an operation lists (Prism checks presence only). */
function credentials(operation: Node): { headers: Record<string, string>; query: string } {
  const [first] = (Array.isArray(operation.security) ? operation.security : []) as Node[];
  const schemes = deref((spec.components as Node).securitySchemes);
  const headers: Record<string, string> = {};
  const query = new URLSearchParams();
  for (const name of Object.keys(first ?? {})) {
    const scheme = deref(schemes[name]);
    if (scheme.type === 'http') headers.authorization = 'Bearer mock.jwt.token';
    else if (scheme.in === 'header') headers[String(scheme.name).toLowerCase()] = 'mock-credential';
    else query.set(String(scheme.name), 'mock-credential');
  }
  return { headers, query: query.size > 0 ? `?${query.toString()}` : '' };
}

function statusCases(): StatusCase[] {
  const cases: StatusCase[] = [];
  for (const [template, pathItem] of Object.entries(spec.paths as Node)) {
    const item = pathItem as Node;
    for (const [method, value] of Object.entries(item)) {
      if (method === 'parameters' || !isNode(value)) continue;
      const operationId = value.operationId as OperationId;
      const parameters = [
        ...((item.parameters as unknown[] | undefined) ?? []),
        ...((value.parameters as unknown[] | undefined) ?? []),
      ].map(deref);
      const path = template.replace(/\{([^}]+)\}/g, (_all, name: string) =>
        String(parameters.find((parameter) => parameter.name === name && parameter.in === 'path')?.example),
      );
      const { headers, query } = credentials(value);
      const requestBody = isNode(value.requestBody) ? deref(value.requestBody) : undefined;
      const json = requestBody === undefined ? undefined : deref((requestBody.content as Node)['application/json']);
      const body =
        json === undefined ? undefined : JSON.stringify(deref(Object.values(json.examples as Node)[0]).value);
      for (const [status, response] of Object.entries(value.responses as Node)) {
        const documentedHeaders = Object.entries((deref(response).headers as Node | undefined) ?? {})
          .filter(([, header]) => deref(header).example !== undefined)
          .map(([name]) => name.toLowerCase());
        cases.push({
          name: `${operationId} ${status}`,
          operationId,
          status: Number(status),
          url: `${path}${query}`,
          init: {
            method: method.toUpperCase(),
            headers: {
              ...headers,
              prefer: `code=${status}`,
              ...(body === undefined ? {} : { 'content-type': 'application/json' }),
            },
            ...(body === undefined ? {} : { body }),
          },
          headers: documentedHeaders,
        });
      }
    }
  }
  return cases;
}

const CASES = statusCases();
const STREAM_OPERATIONS = new Set(
  (Object.keys(operations) as OperationId[]).filter(
    (id) =>
      (operations[id].responses as Partial<Record<number, { contentType: string }>>)[200]?.contentType ===
      'text/event-stream',
  ),
);
const KINDS: readonly { type: string; title: string; status: number }[] = Object.values(PROBLEM_TYPES);

let prism: PrismMock;
beforeAll(async () => {
  prism = await startPrismMock({ port: await freePort() });
}, 60_000);
afterAll(async () => {
  await prism.close();
});

describe('Prism answers every documented status of every operation with Prefer: code=', () => {
  it('walks every operation of specs/openapi.yaml and every status it documents', () => {
    expect(new Set(CASES.map((c) => c.operationId))).toEqual(new Set(Object.keys(operations)));
    expect(CASES.filter((c) => c.status >= 400).length).toBeGreaterThanOrEqual(59);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('%s', async (_name, statusCase) => {
    const response = await fetch(`${prism.url}${statusCase.url}`, {
      ...statusCase.init,
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type');
    const body: unknown = /json/.test(contentType ?? '') ? JSON.parse(text) : text === '' ? undefined : text;

    expect(response.status, text).toBe(statusCase.status);
    const checked = checkResponse(statusCase.operationId, statusCase.status, contentType, body);
    expect(checked.ok ? [] : checked.issues, text).toEqual([]);
    for (const header of statusCase.headers) expect(response.headers.get(header), header).not.toBeNull();
    // Lambda's own throttle (429) is documented with Lambda's body, not a problem.
    if (statusCase.status < 400 || !contentType?.startsWith('application/problem+json')) return;

    const problem = body as { type: string; title: string; status: number };
    expect(problem.status).toBe(statusCase.status);
    const kind = KINDS.find((k) => k.type === problem.type);
    expect(kind, `${problem.type} is not in the problem registry`).toBeDefined();
    expect({ title: problem.title, status: problem.status }).toEqual({ title: kind?.title, status: kind?.status });
    // Only the streams have a connection limit; a REST operation at capacity would mislead.
    if (problem.type === PROBLEM_TYPES.atCapacity.type) expect(STREAM_OPERATIONS).toContain(statusCase.operationId);
  });
});
