/**
 * The typed maps that join validators to types: `operations.ts` (one entry per REST operation) and
 * `events.ts` (one entry per SSE event and channel). src/contract is the only reader of these.
 */
import { isObject, type JsonObject } from './bundle-spec.ts';
import type { ChannelTarget, MessageTarget, OperationTarget } from './contract-walk.ts';
import { resolvePointer } from './contract-walk.ts';
import { generatedHeader } from './header.ts';

const VALIDATOR_TYPE = [
  "import type { ErrorObject } from 'ajv';",
  '',
  '/** A generated validator: a type guard that leaves its errors on `.errors`. */',
  'export interface Validator<T> {',
  '  (data: unknown): data is T;',
  '  errors?: ErrorObject[] | null;',
  '}',
].join('\n');

const quote = (text: string): string => JSON.stringify(text);

function generateOperationsIndex(operations: readonly OperationTarget[]): string {
  const entries = operations.map((op) => {
    const ops = `Ops[${quote(op.operationId)}]`;
    const hasQuery = Object.keys((op.query.schema.properties as JsonObject | undefined) ?? {}).length > 0;
    const queryType = hasQuery ? `NonNullable<${ops}['parameters']['query']>` : 'Record<string, never>';
    const lines = [
      `  ${op.operationId}: {`,
      `    method: ${quote(op.method)},`,
      `    path: ${quote(op.path)},`,
      `    security: [${op.security.map(quote).join(', ')}],`,
      `    query: params.${op.query.validator} as Validator<${queryType}>,`,
      `    queryTypes: ${JSON.stringify(op.query.types)},`,
      op.pathParams
        ? `    pathParams: params.${op.pathParams.validator} as Validator<${ops}['parameters']['path']>,`
        : '    pathParams: null,',
      `    pathTypes: ${JSON.stringify(op.pathParams?.types ?? {})},`,
      op.body
        ? `    body: bodies.${op.body.validator} as Validator<NonNullable<${ops}['requestBody']>['content'][${quote(op.body.contentType)}]>,`
        : '    body: null,',
      '    responses: {',
      ...op.responses.map((r) => {
        const validate =
          r.validator === null || r.contentType === null
            ? 'null'
            : `bodies.${r.validator} as Validator<${ops}['responses'][${r.status}]['content'][${quote(r.contentType)}]>`;
        return `      ${r.status}: { contentType: ${r.contentType === null ? 'null' : quote(r.contentType)}, validate: ${validate} },`;
      }),
      '    },',
      '  },',
    ];
    return lines.join('\n');
  });
  return [
    generatedHeader('scripts/codegen/indexes.ts', 'specs/openapi.yaml'),
    VALIDATOR_TYPE,
    "import type { operations as Ops } from './openapi/schema.js';",
    "import * as bodies from './validators/openapi.cjs';",
    "import * as params from './validators/openapi-params.cjs';",
    '',
    '/** Every REST operation of the contract, keyed by operationId. */',
    'export const operations = {',
    ...entries,
    '} as const;',
    '',
    '/** The RFC 9457 problem body, for answers outside any operation (unknown route, 405). */',
    "export const problem = bodies.problem as Validator<import('./openapi/schema.d.ts').components['schemas']['Problem']>;",
    '',
  ].join('\n');
}

/** TypeScript for a flat object schema of primitives (the SSE frame fields). */
function flatInterface(document: JsonObject, name: string, schema: JsonObject): string {
  const required = Array.isArray(schema.required) ? schema.required : [];
  const props = Object.entries(isObject(schema.properties) ? schema.properties : {}).map(([key, raw]) => {
    const resolved = isObject(raw) && typeof raw.$ref === 'string' ? resolvePointer(document, raw.$ref) : raw;
    const type = isObject(resolved) ? resolved.type : undefined;
    const ts = type === 'string' ? 'string' : type === 'integer' || type === 'number' ? 'number' : null;
    if (ts === null) throw new Error(`${name}.${key}: frame fields must be strings or numbers`);
    return `  ${key}${required.includes(key) ? '' : '?'}: ${ts};`;
  });
  return [`export interface ${name} {`, ...props, '}'].join('\n');
}

/** The type of each message's payload: its schema's name. */
function payloadTypeOf(message: MessageTarget): string {
  const ref = isObject(message.schema) ? message.schema.$ref : undefined;
  if (typeof ref !== 'string') throw new Error(`message ${message.component}: the payload must be a $ref to a schema`);
  return ref.replace('#/components/schemas/', '');
}

/**
 * `event-payloads.ts`: the events' types only (no validator), so that the client's declarations
 * reach no validator and no ajv type.
 */
function generateEventPayloads(document: JsonObject, messages: readonly MessageTarget[]): string {
  const frameSchema = resolvePointer(document, '#/components/schemas/SseFields');
  if (!isObject(frameSchema)) throw new Error('components.schemas.SseFields is missing');
  const modelTypes = [...new Set(messages.map(payloadTypeOf))].sort();
  return [
    generatedHeader('scripts/codegen/indexes.ts', 'specs/asyncapi.yaml'),
    `import type { ${modelTypes.join(', ')} } from './models/index.ts';`,
    '',
    '/** SSE frame fields every event carries (the `id:` cursor, an optional `retry:`). */',
    flatInterface(document, 'SseFields', frameSchema),
    '',
    '/** Payload type of each SSE event, keyed by its `event:` name. */',
    'export interface EventPayloads {',
    ...messages.map((m) => `  ${m.event}: ${payloadTypeOf(m)};`),
    '}',
    '',
  ].join('\n');
}

function generateEventsIndex(messages: readonly MessageTarget[], channels: readonly ChannelTarget[]): string {
  const modelTypes = [...new Set(messages.map(payloadTypeOf))].sort();
  return [
    generatedHeader('scripts/codegen/indexes.ts', 'specs/asyncapi.yaml'),
    VALIDATOR_TYPE,
    `import type { ${modelTypes.join(', ')} } from './models/index.ts';`,
    "import type { SseFields } from './event-payloads.ts';",
    "import * as validators from './validators/asyncapi.cjs';",
    '',
    "export type { EventPayloads, SseFields } from './event-payloads.ts';",
    '',
    '/** Every SSE event of the contract: its payload validator and the channels that carry it. */',
    'export const events = {',
    ...messages.map(
      (m) =>
        `  ${m.event}: { validate: validators.${m.validator} as Validator<${payloadTypeOf(m)}>, channels: [${m.channels.map(quote).join(', ')}] },`,
    ),
    '} as const;',
    '',
    '/** The SSE channels: their address template and the events they carry. */',
    'export const channels = {',
    ...channels.map(
      (c) => `  ${c.key}: { address: ${quote(c.address)}, events: [${c.events.map(quote).join(', ')}] },`,
    ),
    '} as const;',
    '',
    'export const sseFields = validators.sseFields as Validator<SseFields>;',
    '',
  ].join('\n');
}

export { generateEventPayloads, generateEventsIndex, generateOperationsIndex };
