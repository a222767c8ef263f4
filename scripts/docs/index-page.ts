/**
 * The docs site's landing page, written by hand rather than by a tool: the README's overview
 * paragraph, links to both references with their versions, and inline CSS only. Its
 * Content-Security-Policy forbids anything but same-origin loads, so a later edit that adds a
 * remote asset fails visibly in the browser as well as in the build's check.
 */

/** The title and versions of one contract document, shown next to its link. */
interface SpecSummary {
  /** `info.title`. */
  readonly title: string;
  /** `info.version`, the API version. */
  readonly version: string;
  /** The spec format and its version, e.g. `OpenAPI 3.1.0`. */
  readonly format: string;
}

interface IndexPageInput {
  /** The overview paragraph as Markdown (inline code and bold only). */
  readonly overviewMarkdown: string;
  readonly openapi: SpecSummary;
  readonly asyncapi: SpecSummary;
}

const escapeHtml = (text: string): string =>
  text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');

/**
 * The first paragraph after the `# <title>` heading of a README: the lines up to the next blank
 * line or heading, joined with spaces.
 */
function readOverview(readme: string, title = 'tickerpulse'): string {
  const lines = readme.split(/\r?\n/);
  const heading = lines.findIndex((line) => line.trim() === `# ${title}`);
  if (heading === -1) throw new Error(`README has no "# ${title}" heading`);
  const paragraph: string[] = [];
  for (const line of lines.slice(heading + 1)) {
    if (line.trim() === '') {
      if (paragraph.length > 0) break;
      continue;
    }
    if (line.startsWith('#')) break;
    paragraph.push(line.trim());
  }
  if (paragraph.length === 0) throw new Error(`README has no paragraph after "# ${title}"`);
  return paragraph.join(' ');
}

/** Markdown inline code spans and `**bold**` to HTML; everything else is escaped text. */
function inlineMarkdownToHtml(markdown: string): string {
  // Odd parts are code spans; escaping happens per part, so code content is escaped as text too.
  return markdown
    .split(/`([^`]+)`/)
    .map((part, index) =>
      index % 2 === 1
        ? `<code>${escapeHtml(part)}</code>`
        : escapeHtml(part).replace(/\*\*(.+?)\*\*/g, '<strong>$1</strong>'),
    )
    .join('');
}

const CSS = `
  :root { color-scheme: light dark; --fg: #1d2330; --muted: #5b6577; --accent: #2457c5; --card: #f4f6fa; }
  @media (prefers-color-scheme: dark) { :root { --fg: #e6e9ef; --muted: #a3acbd; --accent: #8fb1ff; --card: #1d2330; } }
  body { margin: 0; font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); }
  main { max-width: 46rem; margin: 0 auto; padding: 2.5rem 1.25rem; }
  h1 { margin: 0 0 1rem; font-size: 2rem; }
  h2 { margin-top: 2rem; font-size: 1.2rem; }
  code { font: 0.9em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--card); padding: 0.1em 0.3em; border-radius: 4px; }
  ul.refs { list-style: none; padding: 0; display: grid; gap: 0.75rem; }
  ul.refs li { background: var(--card); border-radius: 8px; padding: 0.9rem 1.1rem; }
  ul.refs a { color: var(--accent); font-weight: 600; font-size: 1.05rem; text-decoration: none; }
  ul.refs a:hover { text-decoration: underline; }
  .meta { display: block; color: var(--muted); font-size: 0.9rem; }
  footer { margin-top: 2.5rem; color: var(--muted); font-size: 0.85rem; }
`;

function renderReference(href: string, label: string, what: string, spec: SpecSummary): string {
  return `      <li>
        <a href="${href}">${escapeHtml(label)}</a>
        <span class="meta">${escapeHtml(what)} · ${escapeHtml(spec.title)} · API version <strong>${escapeHtml(spec.version)}</strong> · ${escapeHtml(spec.format)}</span>
      </li>`;
}

/** The complete index.html; links are relative, so the site works from any directory or file://. */
function renderIndexPage(input: IndexPageInput): string {
  return `<!doctype html>
<html lang="en">
  <head>
    <meta charset="utf-8" />
    <meta name="viewport" content="width=device-width, initial-scale=1" />
    <meta http-equiv="Content-Security-Policy" content="default-src 'self'; style-src 'unsafe-inline'" />
    <title>tickerpulse API documentation</title>
    <style>${CSS}</style>
  </head>
  <body>
    <main>
      <h1>tickerpulse</h1>
      <p>${inlineMarkdownToHtml(input.overviewMarkdown)}</p>
      <h2>References</h2>
      <ul class="refs">
${renderReference('openapi.html', 'REST API reference', 'Redoc, from specs/openapi.yaml', input.openapi)}
${renderReference('asyncapi/index.html', 'SSE streams reference', 'AsyncAPI HTML template, from specs/asyncapi.yaml', input.asyncapi)}
      </ul>
      <footer>Built offline by <code>npm run docs</code> from the contracts in <code>specs/</code>; the site loads nothing from other hosts.</footer>
    </main>
  </body>
</html>
`;
}

export type { IndexPageInput, SpecSummary };
export { escapeHtml, inlineMarkdownToHtml, readOverview, renderIndexPage };
