/**
 * The OpenAPI reference: one self-contained HTML file rendered by Redoc through
 * `redocly build-docs`. `--inlineBundle` is what makes it offline: without it the page imports
 * `redoc.standalone.js` from cdn.redocly.com.
 *
 * Redoc 3 still fetches its "API docs by Redocly" logo from cdn.redoc.ly once the page has
 * mounted: a URL inside its script, which no option turns off and which no HTML-level check sees.
 * The build swaps it for an inline SVG; test/e2e/docs-offline.test.ts proves in Chromium that the
 * page then requests nothing from another host.
 *
 * Redoc renders a copy of the document in which trait tags are ordinary tags (staged-spec.ts), so
 * the `sse` section lists the operations it marks; and the page shows Markdown code spans that
 * Redoc prints as plain text (a server's description) as code (page-fixes.ts).
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { fixRedocPage } from './page-fixes.ts';
import { runNodeTool } from './run-node.ts';
import { stageOpenApiSpec } from './staged-spec.ts';
import { offlineToolEnv, toolScripts } from './tool-env.ts';

/** The logo images Redoc's sidebar loads at runtime (`logo-mini.svg`, `logo-mini-full.svg`). */
const REDOC_LOGO = /https:\/\/cdn\.redoc\.ly\/redoc\/[\w.-]+\.svg/g;

/** A plain "Redocly" wordmark in place of the remote logo: the attribution stays, the request goes. */
const LOGO_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" width="62" height="16" viewBox="0 0 62 16">' +
  '<text x="0" y="12.5" font-family="system-ui,sans-serif" font-size="13" font-weight="600" fill="#0044d4">Redocly</text>' +
  '</svg>';
const LOGO_DATA_URL = `data:image/svg+xml,${encodeURIComponent(LOGO_SVG)}`;

/** Replaces every remote Redoc logo URL in `html`; returns the page and how many were replaced. */
function inlineRedocLogo(html: string): { readonly html: string; readonly replaced: number } {
  let replaced = 0;
  const page = html.replace(REDOC_LOGO, () => {
    replaced += 1;
    return LOGO_DATA_URL;
  });
  return { html: page, replaced };
}

/** Writes `outFile` from `specPath`; returns how long Redocly took (ms). */
async function buildOpenApiReference(root: string, specPath: string, outFile: string): Promise<number> {
  const staged = stageOpenApiSpec(specPath);
  try {
    const args = ['build-docs', staged.path, '-o', outFile, '--inlineBundle'];
    const run = await runNodeTool(toolScripts.redocly, args, {
      label: 'redocly build-docs',
      // The cwd's redocly.yaml carries the project's theme and lint settings.
      cwd: root,
      env: offlineToolEnv(root),
    });
    if (!existsSync(outFile)) throw new Error(`redocly build-docs succeeded but wrote no ${outFile}:\n${run.output}`);
    writeFileSync(outFile, fixRedocPage(inlineRedocLogo(readFileSync(outFile, 'utf8')).html, outFile));
    return run.ms;
  } finally {
    staged.dispose();
  }
}

export { buildOpenApiReference, inlineRedocLogo };
