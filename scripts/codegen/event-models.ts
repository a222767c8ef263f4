/**
 * Types of the SSE event payloads, via openapi-typescript (the generator of the REST types) on a
 * synthetic OpenAPI 3.1 document whose components.schemas are the AsyncAPI payload schemas.
 *
 * Why this works: after bundling, the AsyncAPI payloads are written in the subset that reads the
 * same in draft-07 and 2020-12 (docs/contracts.md), so they are valid OpenAPI 3.1 schemas as they
 * stand. One generator for both documents gives one rendering of nullable, optional, enum and
 * record types, and one dependency less.
 */
import openapiTS, { astToString } from 'openapi-typescript';
import ts from 'typescript';
import { isObject, type Json, type JsonObject } from './bundle-spec.ts';
import type { MessageTarget } from './contract-walk.ts';
import { generatedHeader } from './header.ts';

const SCHEMA_REF = '#/components/schemas/';
/** Keywords whose values are data, not schemas: a `title` inside them names nothing. */
const DATA_KEYWORDS = new Set(['const', 'default', 'enum', 'example', 'examples']);
/** What openapi-typescript writes for an OpenAPI document that a payload module has no use for. */
const UNUSED_DECLARATIONS = new Set(['paths', 'webhooks', '$defs', 'operations']);

const payloadName = (message: MessageTarget): string => {
  const ref = isObject(message.schema) ? message.schema.$ref : undefined;
  if (typeof ref !== 'string' || !ref.startsWith(SCHEMA_REF)) {
    throw new Error(`message ${message.component}: the payload must be a $ref to a schema`);
  }
  return ref.slice(SCHEMA_REF.length);
};

/**
 * The schemas the payloads need, by name: each payload schema, what it references, and every
 * nested schema with a `title` (an inline enum such as `ReconnectReason`) lifted out under that
 * title, so it gets its own type name as a shared schema does. Sorted by name.
 */
function payloadSchemas(document: JsonObject, messages: readonly MessageTarget[]): JsonObject {
  const components =
    isObject(document.components) && isObject(document.components.schemas) ? document.components.schemas : {};
  const out = new Map<string, Json>();
  const pending = [...new Set(messages.map(payloadName))];

  /** Puts a titled nested schema under its title; the title must not name another schema. */
  const lift = (title: string, source: JsonObject, walked: JsonObject): Json => {
    // Compared as written (a component) or as already lifted (an earlier nested use).
    const isComponent = Object.hasOwn(components, title);
    const [known, shown] = isComponent ? [components[title], source] : [out.get(title), walked];
    if (known !== undefined && JSON.stringify(known) !== JSON.stringify(shown)) {
      throw new Error(`schema title "${title}" names two different schemas`);
    }
    if (isComponent) pending.push(title);
    else out.set(title, walked);
    return { $ref: `${SCHEMA_REF}${title}` };
  };

  const walk = (node: Json, isRoot: boolean): Json => {
    if (Array.isArray(node)) return node.map((child) => walk(child, false));
    if (!isObject(node)) return node;
    if (typeof node.$ref === 'string' && node.$ref.startsWith(SCHEMA_REF))
      pending.push(node.$ref.slice(SCHEMA_REF.length));
    const copy: JsonObject = {};
    for (const [key, value] of Object.entries(node)) copy[key] = DATA_KEYWORDS.has(key) ? value : walk(value, false);
    return !isRoot && typeof node.title === 'string' ? lift(node.title, node, copy) : copy;
  };

  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (out.has(name)) continue;
    const schema = Object.hasOwn(components, name) ? components[name] : undefined;
    if (schema === undefined) throw new Error(`$ref "${SCHEMA_REF}${name}" does not resolve`);
    out.set(name, walk(schema, true));
  }
  return Object.fromEntries([...out].sort(([a], [b]) => a.localeCompare(b)));
}

/** The payload types module: the `components` interface and one named type per schema. */
async function generateEventModels(document: JsonObject, messages: readonly MessageTarget[]): Promise<string> {
  const synthetic = {
    openapi: '3.1.0',
    info: { title: 'SSE event payloads of specs/asyncapi.yaml', version: '1' },
    paths: {},
    components: { schemas: payloadSchemas(document, messages) },
  };
  const ast = await openapiTS(synthetic as unknown as Parameters<typeof openapiTS>[0], {
    exportType: false,
    alphabetize: false,
    // `export type Item = components['schemas']['Item']`, under the schema's own name.
    rootTypes: true,
    rootTypesNoSchemaPrefix: true,
  });
  const used = ast.filter(
    (node) =>
      !(
        (ts.isTypeAliasDeclaration(node) || ts.isInterfaceDeclaration(node)) &&
        UNUSED_DECLARATIONS.has(node.name.text)
      ),
  );
  return generatedHeader('openapi-typescript', 'specs/asyncapi.yaml') + astToString(used);
}

export { generateEventModels, payloadSchemas };
