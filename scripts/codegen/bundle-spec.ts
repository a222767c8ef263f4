/**
 * Bundles a contract document (specs/openapi.yaml or specs/asyncapi.yaml) into one self-contained
 * object: every `$ref` to a file under specs/schemas/ becomes `#/components/schemas/<title>` and
 * the file's schema is placed there once.
 *
 * Why not let each generator resolve files itself: openapi-typescript names inlined files after
 * their file names (`schemas["item-input"]` next to `ItemInput`), the event payload types are made
 * from a document assembled in memory (no base path), and ajv needs one registry. Bundling once
 * gives every generator the same document with the same names, and the linters keep checking the
 * source files as written.
 */
import { readFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { parse } from 'yaml';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface BundledSpec {
  /** The document with every external reference replaced by a local one. */
  readonly document: JsonObject;
  /** Shared schema title → the spec-relative file it came from, in first-use order. */
  readonly sharedFiles: ReadonlyMap<string, string>;
}

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function readYaml(path: string): Json {
  try {
    return parse(readFileSync(path, 'utf8')) as Json;
  } catch (error) {
    throw new Error(`${path}: cannot read YAML: ${(error as Error).message}`, { cause: error });
  }
}

/** Loads `specPath` and inlines the shared schema files it references, directly or through each other. */
function bundleSpec(specPath: string): BundledSpec {
  const root = readYaml(specPath);
  if (!isObject(root)) throw new Error(`${specPath}: the document is not a YAML mapping`);
  const specDir = dirname(resolve(specPath));
  const titleByFile = new Map<string, string>();
  const fileByTitle = new Map<string, string>();
  const schemas = new Map<string, Json>();

  const localRef = (ref: string, fromDir: string, where: string): string => {
    if (ref.includes('#')) {
      throw new Error(`${where}: $ref "${ref}" points into a file; reference whole schema files only`);
    }
    const file = resolve(fromDir, ref);
    let title = titleByFile.get(file);
    if (title === undefined) {
      const schema = readYaml(file);
      const shown = relative(specDir, file);
      if (!isObject(schema) || typeof schema.title !== 'string' || !/^[A-Z][A-Za-z0-9]*$/.test(schema.title)) {
        throw new Error(`${shown}: a shared schema needs a PascalCase "title"; it names the generated type`);
      }
      title = schema.title;
      const other = fileByTitle.get(title);
      if (other !== undefined) throw new Error(`${shown}: title "${title}" is already used by ${other}`);
      titleByFile.set(file, title);
      fileByTitle.set(title, shown);
      schemas.set(title, walk(schema, dirname(file), shown));
    }
    return `#/components/schemas/${title}`;
  };

  const walk = (node: Json, fromDir: string, where: string): Json => {
    if (Array.isArray(node)) return node.map((child) => walk(child, fromDir, where));
    if (!isObject(node)) return node;
    const out: JsonObject = {};
    for (const [key, value] of Object.entries(node)) {
      out[key] =
        key === '$ref' && typeof value === 'string' && !value.startsWith('#')
          ? localRef(value, fromDir, where)
          : walk(value, fromDir, where);
    }
    return out;
  };

  const document = walk(root, specDir, specPath) as JsonObject;
  const components = isObject(document.components) ? document.components : {};
  const declared = isObject(components.schemas) ? components.schemas : {};
  const merged: JsonObject = {};
  // A component that is just `$ref: ./schemas/x.yaml` under x's own title takes x's content.
  for (const [name, value] of Object.entries(declared)) {
    const selfRef = isObject(value) && value.$ref === `#/components/schemas/${name}`;
    merged[name] = selfRef ? (schemas.get(name) ?? value) : value;
  }
  for (const [title, schema] of schemas) if (!(title in merged)) merged[title] = schema;
  document.components = { ...components, schemas: merged };
  return { document, sharedFiles: fileByTitle };
}

export type { BundledSpec, Json, JsonObject };
export { bundleSpec, isObject };
