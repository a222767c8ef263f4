/**
 * Ahead-of-time ajv validators (standalone code), so nothing compiles a schema at run time or at a
 * Lambda cold start. Three files:
 * - `openapi.cjs`: request bodies and JSON response bodies (JSON Schema 2020-12, no coercion);
 * - `openapi-params.cjs`: query and path parameter sets; these fill defaults in place (`limit` →
 *   50) but do not coerce: src/contract turns decimal text into numbers strictly beforehand, as
 *   ajv's coercion takes anything JavaScript's Number() does (`0x10`, `1e2`, ` 10`, `1e309`);
 * - `asyncapi.cjs`: SSE payloads and frame fields (draft-07, AsyncAPI's default schema format).
 *
 * Emitted as CommonJS because ajv's ESM standalone output still calls `require()` for its runtime
 * helpers (ajv-formats, ucs2length); ESM code imports the named exports of a `.cjs` file fine.
 */
import Ajv, { type Options } from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import type AjvCore from 'ajv/dist/core.js';
import standaloneCode from 'ajv/dist/standalone/index.js';
import addFormats from 'ajv-formats';
import { isObject, type Json, type JsonObject } from './bundle-spec.ts';
import type { MessageTarget, OperationTarget } from './contract-walk.ts';
import { generatedHeader } from './header.ts';
import { gateSchema, gateSchemaMap } from './size-gates.ts';

const OPENAPI_ID = 'urn:tickerpulse:openapi';
const ASYNCAPI_ID = 'urn:tickerpulse:asyncapi';

interface ValidatorModule {
  readonly code: string;
  readonly declarations: string;
}

const baseOptions: Options = {
  code: { source: true, lines: true },
  allErrors: true,
  strict: true,
  // `type: [number, "null"]` is how 3.1 / draft-07 spell nullable.
  allowUnionTypes: true,
  // Call referenced schemas instead of inlining them at every use; keeps the output small.
  inlineRefs: false,
};

/** Points the document's local `#/…` references at the registry schema registered under `id`. */
function anchorRefs(node: Json, id: string): Json {
  if (Array.isArray(node)) return node.map((child) => anchorRefs(child, id));
  if (!isObject(node)) return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    out[key] =
      key === '$ref' && typeof value === 'string' && value.startsWith('#') ? `${id}${value}` : anchorRefs(value, id);
  }
  return out;
}

function emit(
  ajv: AjvCore.default,
  id: string,
  schemas: JsonObject,
  targets: ReadonlyMap<string, Json>,
  source: string,
): ValidatorModule {
  // OpenAPI/AsyncAPI keywords that may sit next to schemas; registered so strict mode accepts them.
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs', 'components']);
  addFormats.default(ajv);
  // Costly keywords (pattern, items, uniqueItems ...) run only within the size limits: see size-gates.ts.
  ajv.addSchema({ $id: id, components: { schemas: gateSchemaMap(anchorRefs(schemas, id) as JsonObject, source) } });
  const exportsMap: Record<string, string> = {};
  const aliases: string[] = [];
  // Identical schemas (every error response is `$ref: Problem`) share one compiled function,
  // exported once and aliased under the other names; compiling them apart made the file 5x larger.
  const primaryBySchema = new Map<string, string>();
  for (const [name, schema] of targets) {
    const anchored = gateSchema(anchorRefs(schema, id), `${source} ${name}`) as JsonObject;
    const canonical = JSON.stringify(anchored);
    const primary = primaryBySchema.get(canonical);
    if (primary === undefined) {
      const key = `${id}:validator:${name}`;
      primaryBySchema.set(canonical, name);
      ajv.addSchema({ ...anchored, $id: key });
      exportsMap[name] = key;
    } else {
      aliases.push(`exports.${name} = exports.${primary};`);
    }
  }
  const header = generatedHeader('ajv standalone', source);
  const names = [...targets.keys()];
  const declarations = [
    "import type { ValidateFunction } from 'ajv';",
    '',
    ...names.map((name) => `export declare const ${name}: ValidateFunction;`),
  ].join('\n');
  const code = [standaloneCode.default(ajv, exportsMap), '', ...aliases].join('\n');
  return { code: `${header}${code}\n`, declarations: `${header}${declarations}\n` };
}

function schemasOf(document: JsonObject): JsonObject {
  const components = isObject(document.components) ? document.components : {};
  return isObject(components.schemas) ? components.schemas : {};
}

function generateOpenApiValidators(document: JsonObject, operations: readonly OperationTarget[]) {
  const bodies = new Map<string, Json>();
  const params = new Map<string, Json>();
  for (const op of operations) {
    params.set(op.query.validator, op.query.schema);
    if (op.pathParams) params.set(op.pathParams.validator, op.pathParams.schema);
    if (op.body) bodies.set(op.body.validator, op.body.schema);
    for (const response of op.responses) {
      if (response.validator !== null && response.schema !== null) bodies.set(response.validator, response.schema);
    }
  }
  // Answers outside any operation (unknown routes, 405) are problems too; tests check them with this.
  bodies.set('problem', { $ref: '#/components/schemas/Problem' });
  const schemas = schemasOf(document);
  return {
    bodies: emit(new Ajv2020.default(baseOptions), OPENAPI_ID, schemas, bodies, 'specs/openapi.yaml'),
    params: emit(
      new Ajv2020.default({ ...baseOptions, useDefaults: true }),
      OPENAPI_ID,
      schemas,
      params,
      'specs/openapi.yaml',
    ),
  };
}

function generateAsyncApiValidators(document: JsonObject, messages: readonly MessageTarget[]): ValidatorModule {
  const targets = new Map<string, Json>(messages.map((m) => [m.validator, m.schema]));
  targets.set('sseFields', { $ref: '#/components/schemas/SseFields' });
  return emit(new Ajv.default(baseOptions), ASYNCAPI_ID, schemasOf(document), targets, 'specs/asyncapi.yaml');
}

export type { ValidatorModule };
export { anchorRefs, generateAsyncApiValidators, generateOpenApiValidators };
