/**
 * The OpenAPI reference: one self-contained HTML file rendered by Redoc through
 * `redocly build-docs`. `--inlineBundle` is what makes it offline: without it the page imports
 * `redoc.standalone.js` from cdn.redocly.com.
 */
import { existsSync } from 'node:fs';
import { runNodeTool } from './run-node.ts';
import { offlineToolEnv, toolScripts } from './tool-env.ts';

/** Writes `outFile` from `specPath`; returns how long Redocly took (ms). */
async function buildOpenApiReference(root: string, specPath: string, outFile: string): Promise<number> {
  const run = await runNodeTool(toolScripts.redocly, ['build-docs', specPath, '-o', outFile, '--inlineBundle'], {
    label: 'redocly build-docs',
    // The cwd's redocly.yaml carries the project's theme and lint settings.
    cwd: root,
    env: offlineToolEnv(root),
  });
  if (!existsSync(outFile)) throw new Error(`redocly build-docs succeeded but wrote no ${outFile}:\n${run.output}`);
  return run.ms;
}

export { buildOpenApiReference };
