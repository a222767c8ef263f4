/**
 * The offline guarantee of the docs site, checked on the output rather than trusted: no file may
 * make a browser load a script, stylesheet, image, font or frame from another host. Links a
 * reader clicks (`<a href="https://…">`, e.g. the licence) are fine; resources fetched on page
 * load are not, since the site must render with no network and leak no visits to a CDN.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** An absolute or protocol-relative URL start, i.e. another host (loopback included: it is not the site). */
const ABSOLUTE = String.raw`(?:https?:)?//`;
const QUOTE = String.raw`["'\x60]?\s*`;
/** File types a page loads as resources: images, scripts, stylesheets, fonts. */
const ASSET_EXTENSIONS = 'svg|png|jpe?g|gif|webp|avif|ico|bmp|m?js|css|woff2?|ttf|otf|eot';

/** Each pattern finds one way of loading a resource from an absolute URL. */
const PATTERNS: readonly { readonly kind: string; readonly pattern: RegExp }[] = [
  {
    kind: 'element src',
    pattern: new RegExp(
      String.raw`<(?:script|img|iframe|frame|audio|video|source|track|embed|input)\b[^>]*?\ssrc\s*=\s*${QUOTE}${ABSOLUTE}`,
      'gi',
    ),
  },
  { kind: 'srcset', pattern: new RegExp(String.raw`\ssrcset\s*=\s*["'][^"']*?${ABSOLUTE}`, 'gi') },
  { kind: '<link href>', pattern: new RegExp(String.raw`<link\b[^>]*?\shref\s*=\s*${QUOTE}${ABSOLUTE}`, 'gi') },
  { kind: '<object data>', pattern: new RegExp(String.raw`<object\b[^>]*?\sdata\s*=\s*${QUOTE}${ABSOLUTE}`, 'gi') },
  { kind: 'CSS url()', pattern: new RegExp(String.raw`url\(\s*${QUOTE}${ABSOLUTE}`, 'gi') },
  { kind: 'CSS @import', pattern: new RegExp(String.raw`@import\s+(?:url\(\s*)?${QUOTE}${ABSOLUTE}`, 'gi') },
  // How Redoc pulls its CDN bundle when --inlineBundle is missing: `import { hydrate } from "https://…"`.
  {
    kind: 'ES module import',
    pattern: new RegExp(String.raw`\bimport\s*(?:\(\s*|[^;()'"\x60]{0,200}?\bfrom\s*)?["'\x60]${ABSOLUTE}`, 'g'),
  },
  { kind: 'importScripts', pattern: new RegExp(String.raw`\bimportScripts\(\s*${QUOTE}${ABSOLUTE}`, 'g') },
  // A script that sets an image or script URL at runtime (Redoc's logo was `src:"https://cdn…/logo.svg"`):
  // any quoted absolute URL of an asset type, except as an HTML attribute, which the patterns above
  // own, or a link's href (HTML or a script's `href:`), which loads nothing until clicked.
  {
    kind: 'asset URL in a string',
    pattern: new RegExp(
      String.raw`(?<!(?:\s(?:href|src|srcset|data)\s*=|\bhref\s*:)\s*)["'\x60]${ABSOLUTE}[^"'\x60\s<>()]+\.(?:${ASSET_EXTENSIONS})(?:[?#][^"'\x60\s<>]*)?["'\x60]`,
      'gi',
    ),
  },
];

/** One offending reference: the file (relative to the scanned directory), its line and the text. */
interface RemoteReference {
  readonly file: string;
  readonly line: number;
  readonly kind: string;
  readonly snippet: string;
}

/** Thrown by {@link assertNoRemoteResources}; the message names every offending file. */
class RemoteResourceError extends Error {
  override readonly name = 'RemoteResourceError';
  readonly references: readonly RemoteReference[];
  constructor(references: readonly RemoteReference[]) {
    super(
      `the docs site loads remote resources:\n${references
        .map((r) => `  ${r.file}:${r.line} (${r.kind}): ${r.snippet}`)
        .join('\n')}`,
    );
    this.references = references;
  }
}

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

/** Every remote resource reference in any file under `dir`, in file order. */
function findRemoteResources(dir: string): RemoteReference[] {
  const found: RemoteReference[] = [];
  for (const path of filesUnder(dir)) {
    // latin1 keeps every byte one character, so binary files scan safely and indexes stay cheap.
    const text = readFileSync(path, 'latin1');
    for (const { kind, pattern } of PATTERNS) {
      for (const match of text.matchAll(pattern)) {
        const at = match.index;
        const line = text.slice(0, at).split('\n').length;
        const snippet = text
          .slice(at, at + match[0].length + 60)
          .replace(/\s+/g, ' ')
          .slice(0, 160);
        found.push({ file: relative(dir, path), line, kind, snippet });
      }
    }
  }
  return found;
}

function assertNoRemoteResources(dir: string): void {
  const references = findRemoteResources(dir);
  if (references.length > 0) throw new RemoteResourceError(references);
}

export type { RemoteReference };
export { assertNoRemoteResources, findRemoteResources, RemoteResourceError };
