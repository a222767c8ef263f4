/**
 * The OpenAPI document as Redoc is given it: a copy of specs/ (the document refers to
 * specs/schemas/ by relative paths) in a temporary directory, with one change for the reader.
 *
 * Trait tags (`x-traitTag: true`, here `sse`) are shown by Redoc as a section with the tag's
 * text and no operations, so the `sse` section said it marks two operations and listed none. In
 * the copy every tag is an ordinary one, and Redoc lists under `sse` the two operations it marks,
 * as it lists them under `streams`. The contract itself keeps the trait tag for code generators.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { isMap, isSeq, parseDocument } from 'yaml';

interface StagedSpec {
  /** The copy of the document to render. */
  readonly path: string;
  /** The tags that were trait tags in the contract. */
  readonly listedTraitTags: readonly string[];
  dispose(): void;
}

/** `text` with `x-traitTag` taken off every tag; returns the new text and the names of those tags. */
function withoutTraitTags(text: string, where: string): { text: string; tags: string[] } {
  const document = parseDocument(text);
  if (document.errors.length > 0) throw new Error(`${where}: ${document.errors[0]?.message ?? 'not YAML'}`);
  const tags = document.get('tags');
  const listed: string[] = [];
  if (isSeq(tags)) {
    for (const tag of tags.items) {
      if (!isMap(tag) || tag.get('x-traitTag') !== true) continue;
      tag.delete('x-traitTag');
      listed.push(String(tag.get('name')));
    }
  }
  return { text: document.toString(), tags: listed };
}

/** Copies the directory of `specPath` and rewrites the copy of the document; dispose() removes it. */
function stageOpenApiSpec(specPath: string): StagedSpec {
  const dir = mkdtempSync(join(tmpdir(), 'tickerpulse-docs-spec-'));
  try {
    cpSync(dirname(specPath), dir, { recursive: true });
    const path = join(dir, basename(specPath));
    const { text, tags } = withoutTraitTags(readFileSync(specPath, 'utf8'), specPath);
    writeFileSync(path, text);
    return {
      path,
      listedTraitTags: tags,
      dispose: () => {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
}

export type { StagedSpec };
export { stageOpenApiSpec, withoutTraitTags };
