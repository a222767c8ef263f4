/**
 * What specs/openapi.yaml documents for the two stream operations, read the way Prism reads it,
 * so that the mock SSE server refuses with the bodies and headers the REST mock gives:
 *
 * - the operations whose 200 is `text/event-stream` (not a hard-coded list);
 * - per documented status, the examples of its body in document order (`application/problem+json`,
 *   or the one media type it documents otherwise: Lambda's own throttle body for 429)
 *   (the first is the default, as in Prism) and its headers with their examples (`Retry-After`,
 *   `WWW-Authenticate`);
 * - the security schemes that open the operation, to refuse a request that sends none (Prism does).
 *
 * Every example is checked against its response schema at load time: a broken one stops the mock.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { checkResponse, type OperationId, operations, responseContract } from '../../src/contract/index.ts';
import { ContractDriftError } from './feed.ts';

type StreamOperationId = 'streamGlobal' | 'streamConfiguration';

/** One documented response: its headers (name → example value) and its examples by key, in order. */
interface DocumentedResponse {
  readonly headers: Readonly<Record<string, string>>;
  readonly contentType: string;
  readonly examples: ReadonlyMap<string, unknown>;
}

/** A way to send credentials: present or not is all the mock checks, as Prism does. */
type Credential =
  | { readonly in: 'bearer' }
  | { readonly in: 'header'; readonly name: string }
  | { readonly in: 'query'; readonly name: string };

interface StreamOperation {
  readonly operationId: StreamOperationId;
  /** Any one of these opens the operation; empty: no credentials needed. */
  readonly credentials: readonly Credential[];
  /** Every documented status but 200, with what to answer. */
  readonly refusals: ReadonlyMap<number, DocumentedResponse>;
}

const PROBLEM_MEDIA_TYPE = 'application/problem+json';
const STREAM_MEDIA_TYPE = 'text/event-stream';

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Follows local `$ref`s (`#/components/...`) until a node that is not a reference. */
function resolve(document: Node, node: unknown, where: string): Node {
  let current = node;
  for (let hops = 0; isNode(current) && typeof current.$ref === 'string'; hops += 1) {
    const ref = current.$ref;
    if (!ref.startsWith('#/') || hops > 10) throw new Error(`${where}: cannot follow $ref ${ref}`);
    current = ref
      .slice(2)
      .split('/')
      .map((part) => part.replaceAll('~1', '/').replaceAll('~0', '~'))
      .reduce<unknown>((parent, key) => (isNode(parent) ? parent[key] : undefined), document);
  }
  if (!isNode(current)) throw new Error(`${where}: not an object`);
  return current;
}

/** A header's example as text: `example`, else its schema's, else its first named example. */
function headerExample(document: Node, header: unknown, where: string): string | undefined {
  const resolved = resolve(document, header, where);
  const schema = isNode(resolved.schema) ? resolved.schema : {};
  const named = isNode(resolved.examples) ? Object.values(resolved.examples).find(isNode)?.value : undefined;
  const value = resolved.example ?? schema.example ?? named;
  if (value === undefined) return undefined;
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function documentedResponse(
  document: Node,
  operationId: StreamOperationId,
  status: number,
  response: unknown,
  where: string,
): DocumentedResponse {
  const resolved = resolve(document, response, where);
  const headers: Record<string, string> = {};
  for (const [name, header] of Object.entries(isNode(resolved.headers) ? resolved.headers : {})) {
    const example = headerExample(document, header, `${where}/headers/${name}`);
    if (example !== undefined) headers[name] = example;
  }
  const media = isNode(resolved.content) ? resolved.content : {};
  // A problem wherever the contract has one; else the response's own body (Lambda's 429 is not ours).
  const contentType = PROBLEM_MEDIA_TYPE in media ? PROBLEM_MEDIA_TYPE : (Object.keys(media)[0] ?? PROBLEM_MEDIA_TYPE);
  const content = media[contentType];
  const named = isNode(content) && isNode(content.examples) ? content.examples : {};
  const examples = new Map<string, unknown>();
  for (const [key, example] of Object.entries(named)) {
    const { value } = resolve(document, example, `${where}/examples/${key}`);
    const checked = checkResponse(operationId, status, contentType, value);
    if (!checked.ok) {
      const issues = checked.issues.map((issue) => `${issue.pointer || '(root)'} ${issue.message}`).join('; ');
      throw new ContractDriftError(`${where}: example ${key} breaks the ${status} response schema: ${issues}`);
    }
    examples.set(key, value);
  }
  if (examples.size === 0) throw new ContractDriftError(`${where}: no ${contentType} example to answer with`);
  return { headers, contentType, examples };
}

function credentialsOf(document: Node, operation: Node, where: string): Credential[] {
  const requirements = Array.isArray(operation.security) ? operation.security : (document.security ?? []);
  const schemes =
    isNode(document.components) && isNode(document.components.securitySchemes)
      ? document.components.securitySchemes
      : {};
  return (requirements as unknown[]).flatMap((requirement) =>
    Object.keys(isNode(requirement) ? requirement : {}).map((name): Credential => {
      const scheme = resolve(document, schemes[name], `${where}: security scheme ${name}`);
      if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'bearer') return { in: 'bearer' };
      if (
        scheme.type === 'apiKey' &&
        typeof scheme.name === 'string' &&
        (scheme.in === 'header' || scheme.in === 'query')
      ) {
        return { in: scheme.in, name: scheme.in === 'header' ? scheme.name.toLowerCase() : scheme.name };
      }
      throw new Error(`${where}: the mock cannot check security scheme ${name}`);
    }),
  );
}

const isStreamOperation = (operationId: unknown): operationId is StreamOperationId =>
  typeof operationId === 'string' &&
  Object.hasOwn(operations, operationId) &&
  responseContract(operationId as OperationId, 200)?.contentType === STREAM_MEDIA_TYPE;

/** The stream operations of `specPath`, with the answers it documents for each refusal. */
function loadStreamOperations(specPath: string): StreamOperation[] {
  const document: unknown = parse(readFileSync(specPath, 'utf8'));
  if (!isNode(document) || !isNode(document.paths)) throw new Error(`${specPath}: no paths`);
  const found: StreamOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    const operation = isNode(item) ? item.get : undefined;
    if (!isNode(operation) || !isStreamOperation(operation.operationId)) continue;
    const { operationId } = operation;
    const where = `${specPath}#/paths/${path.replaceAll('/', '~1')}/get`;
    const refusals = new Map<number, DocumentedResponse>();
    for (const [status, response] of Object.entries(isNode(operation.responses) ? operation.responses : {})) {
      if (status === '200') continue;
      const code = Number(status);
      refusals.set(code, documentedResponse(document, operationId, code, response, `${where}/responses/${status}`));
    }
    found.push({ operationId, credentials: credentialsOf(document, operation, where), refusals });
  }
  if (found.length === 0) throw new Error(`${specPath}: no operation answers ${STREAM_MEDIA_TYPE}`);
  return found;
}

export type { Credential, DocumentedResponse, Node, StreamOperation, StreamOperationId };
export { isNode, loadStreamOperations, resolve };
