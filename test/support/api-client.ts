/**
 * An HTTP client for tests that checks every answer against the contract before the test sees
 * it: a documented status for the operation, the right content type, a body that validates, and
 * (behind the Prism proxy) no `sl-violations`. A test cannot forget to validate a response.
 */
import { checkProblem, checkResponse, matchOperation, type ValidationIssue } from '../../src/contract/index.ts';

interface ApiResponse {
  readonly status: number;
  readonly headers: Headers;
  readonly body: unknown;
  readonly text: string;
}

interface ApiRequest {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Sent as JSON. */
  readonly json?: unknown;
  /** Sent as is (malformed JSON, other media types, huge bodies). */
  readonly raw?: string | Uint8Array;
}

class ContractViolation extends Error {}

const describe = (issues: readonly ValidationIssue[]) =>
  issues.map((i) => `${i.pointer || '(root)'} ${i.message}`).join('; ');

function createApiClient(baseUrl: () => string) {
  async function request(path: string, init: ApiRequest = {}): Promise<ApiResponse> {
    const method = init.method ?? 'GET';
    const headers: Record<string, string> = { ...init.headers };
    let body: string | Uint8Array | undefined = init.raw;
    if (init.json !== undefined) {
      body = JSON.stringify(init.json);
      headers['content-type'] ??= 'application/json';
    }
    const response = await fetch(new URL(path, baseUrl()), {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
    });
    const text = await response.text();
    const contentType = response.headers.get('content-type');
    const isJson = contentType !== null && /json/.test(contentType);
    const parsed: unknown = isJson && text !== '' ? JSON.parse(text) : text;
    const where = `${method} ${path} → ${response.status}`;

    const violations = response.headers.get('sl-violations');
    if (violations !== null) throw new ContractViolation(`${where}: Prism reports ${violations}`);
    const match = matchOperation(method, new URL(path, baseUrl()).pathname);
    if (match === undefined || response.status === 405) {
      // Outside every operation: only a problem is acceptable.
      const problem = checkProblem(parsed);
      if (!contentType?.startsWith('application/problem+json') || !problem.ok) {
        throw new ContractViolation(`${where}: answers outside the contract must be problem+json`);
      }
    } else {
      const checked = checkResponse(
        match.operationId,
        response.status,
        response.status === 204 ? null : contentType,
        parsed,
      );
      if (!checked.ok) throw new ContractViolation(`${where} (${match.operationId}): ${describe(checked.issues)}`);
    }
    return { status: response.status, headers: response.headers, body: parsed, text };
  }
  return { request };
}

type ApiClient = ReturnType<typeof createApiClient>;

export type { ApiClient, ApiRequest, ApiResponse };
export { ContractViolation, createApiClient };
