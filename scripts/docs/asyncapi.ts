/**
 * The AsyncAPI reference: `asyncapi generate fromTemplate` with the installed
 * @asyncapi/html-template, into a directory (index.html, css/, js/), with a loopback stand-in for
 * the npm registry so that the CLI's registry check cannot crash the build offline.
 *
 * The build then proves it stayed offline: the generator must report the template under this
 * repository's node_modules, and the stand-in registry must have seen nothing but the check.
 * Last, the page gets the docs build's fixes (page-fixes.ts): code spans shown as code, and the
 * desktop layout from 1024 px wide.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startLoopbackRegistry } from './loopback-registry.ts';
import { fixAsyncApiLayout, fixAsyncApiPage } from './page-fixes.ts';
import { runNodeTool } from './run-node.ts';
import { offlineToolEnv, toolScripts } from './tool-env.ts';

const TEMPLATE = '@asyncapi/html-template';

/** The only requests the CLI's registry check makes (it falls back to GET when HEAD fails). */
const REGISTRY_CHECK = new Set(['HEAD /', 'GET /']);

/** A `$ref` to a file left in the rendered document means the template did not resolve it. */
const EXTERNAL_REF = /"\$ref"\s*:\s*"(?!#)[^"]*"/;

// eslint-disable-next-line no-control-regex -- strips ANSI colour codes from captured output
const ANSI = /\u001b\[[0-9;]*m/g;

interface AsyncApiBuild {
  readonly ms: number;
  /** The template directory the generator used. */
  readonly templatePath: string;
}

/** Renders `specPath` into `outDir`; throws if the template was not the installed one. */
async function buildAsyncApiReference(root: string, specPath: string, outDir: string): Promise<AsyncApiBuild> {
  const registry = await startLoopbackRegistry();
  try {
    const run = await runNodeTool(
      toolScripts.asyncapi,
      [
        'generate',
        'fromTemplate',
        specPath,
        // The package name, not a path: the generator then uses node_modules/@asyncapi/html-template
        // as installed (a path would make it symlink-install the template into its own node_modules).
        TEMPLATE,
        '-o',
        outDir,
        '--force-write',
        '--no-interactive',
        // Debug output names the template directory used, which is checked below.
        '--debug',
        '--registry-url',
        registry.url,
      ],
      { label: 'asyncapi generate fromTemplate', cwd: root, env: offlineToolEnv(root) },
    );
    const output = run.output.replace(ANSI, '');
    const expected = join(root, 'node_modules', TEMPLATE);
    const used = /Template sources taken from (.+?)\.?\s*$/m.exec(output)?.[1];
    if (used === undefined || resolve(used) !== expected) {
      throw new Error(
        `asyncapi generate did not use the installed template ${expected} (it used: ${used ?? 'unknown'})`,
      );
    }
    const unexpected = registry.requests.filter((request) => !REGISTRY_CHECK.has(request));
    if (unexpected.length > 0) {
      throw new Error(`asyncapi generate tried to fetch from the registry: ${unexpected.join(', ')}`);
    }
    for (const file of ['index.html', 'js/app.js']) {
      const path = join(outDir, file);
      if (!existsSync(path)) throw new Error(`asyncapi generate wrote no ${path}`);
      if (EXTERNAL_REF.test(readFileSync(path, 'utf8'))) {
        throw new Error(
          `${path} still holds a $ref to a file: the template no longer resolves specs/schemas/; ` +
            'generate from the bundled spec (scripts/codegen/bundle-spec.ts) instead',
        );
      }
    }
    applyPageFixes(outDir);
    return { ms: run.ms, templatePath: used };
  } finally {
    await registry.close();
  }
}

/** The docs build's fixes to the generated page and to its copy of the React component. */
function applyPageFixes(outDir: string): void {
  const page = join(outDir, 'index.html');
  writeFileSync(page, fixAsyncApiPage(readFileSync(page, 'utf8'), page));
  const component = join(outDir, 'js/asyncapi-ui.min.js');
  writeFileSync(component, fixAsyncApiLayout(readFileSync(component, 'utf8'), component));
}

export type { AsyncApiBuild };
export { buildAsyncApiReference };
