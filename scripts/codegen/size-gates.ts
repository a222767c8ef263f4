/**
 * Rewrites schemas so that no check costs more than linear time in its input, before ajv
 * compiles them. ajv runs every keyword of a schema when it collects all errors (`allErrors`,
 * which the API needs to list every offending input), so on its own it would match a pattern
 * against a 1 MiB string whose `maxLength` is 100, compare every pair of a 100,000-item array
 * for `uniqueItems`, and concatenate error lists item after item (quadratic in the items).
 *
 * Each costly keyword is moved under `if: { <size limit> }, then: { <keyword> }`: ajv then runs
 * it only on data within the limit, and data over the limit gets just the size error. The
 * meaning is unchanged (data over the limit fails either way). Limits are required: a `pattern`
 * without `maxLength`, or an array without `maxItems`, is a generation error.
 */
import { isObject, type Json, type JsonObject } from './bundle-spec.ts';

/** Keywords holding one subschema, a list of them, or a map of them (JSON Schema 2020-12 and draft-07). */
const SCHEMA_KEYS = [
  'items',
  'additionalItems',
  'additionalProperties',
  'unevaluatedItems',
  'unevaluatedProperties',
  'propertyNames',
  'contains',
  'not',
  'if',
  'then',
  'else',
];
const SCHEMA_LIST_KEYS = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const SCHEMA_MAP_KEYS = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];

/** Size keyword → the keywords whose cost grows with that size. */
const GATES = {
  maxLength: ['pattern', 'format'],
  maxItems: ['items', 'prefixItems', 'contains', 'uniqueItems'],
} as const;

function gateSubschemas(schema: JsonObject, where: string): JsonObject {
  const out: JsonObject = { ...schema };
  for (const key of SCHEMA_KEYS) {
    if (key in schema) out[key] = gateSchema(schema[key] as Json, `${where}/${key}`);
  }
  for (const key of SCHEMA_LIST_KEYS) {
    const list = schema[key];
    if (Array.isArray(list)) out[key] = list.map((child, i) => gateSchema(child, `${where}/${key}/${i}`));
  }
  for (const key of SCHEMA_MAP_KEYS) {
    const map = schema[key];
    if (isObject(map)) out[key] = gateSchemaMap(map, `${where}/${key}`);
  }
  return out;
}

/** One schema, with its costly keywords behind its size limits (recursively). */
function gateSchema(node: Json, where: string): Json {
  if (!isObject(node)) return node;
  const schema = gateSubschemas(node, where);
  if (typeof schema.pattern === 'string' && typeof schema.maxLength !== 'number') {
    throw new Error(`${where}: a pattern needs a maxLength, so that it only ever runs on bounded input`);
  }
  const isArray = schema.type === 'array' || 'items' in schema || 'prefixItems' in schema;
  if (isArray && typeof schema.maxItems !== 'number') {
    throw new Error(`${where}: an array needs maxItems, so that validating its items stays linear`);
  }
  const gate: JsonObject = {};
  const gated: JsonObject = {};
  for (const [limit, keywords] of Object.entries(GATES)) {
    if (typeof schema[limit] !== 'number') continue;
    for (const keyword of keywords) {
      if (!(keyword in schema)) continue;
      gate[limit] = schema[limit];
      gated[keyword] = schema[keyword] as Json;
    }
  }
  if (Object.keys(gated).length === 0) return schema;
  if ('if' in schema || 'then' in schema || 'else' in schema) {
    throw new Error(`${where}: cannot put size limits in front of a schema that already uses if/then/else`);
  }
  const rest = Object.fromEntries(Object.entries(schema).filter(([key]) => !(key in gated)));
  return { ...rest, if: gate, then: gated };
}

/** A map of named schemas (`components.schemas`, `properties`). */
function gateSchemaMap(map: JsonObject, where: string): JsonObject {
  return Object.fromEntries(Object.entries(map).map(([name, child]) => [name, gateSchema(child, `${where}/${name}`)]));
}

export { gateSchema, gateSchemaMap };
