/**
 * `npm run docs`: builds the docs site offline into docs-site/ (gitignored; CI builds it, nobody
 * commits it). `--out <dir>` builds elsewhere.
 *
 *   docs-site/index.html          landing page: the README's overview and links to both references
 *   docs-site/openapi.html        REST reference (Redoc, self-contained)
 *   docs-site/asyncapi/index.html SSE reference (AsyncAPI HTML template, with css/ and js/)
 *
 * Exits non-zero, naming the file, if any output loads a resource from another host.
 */
import { join, relative } from 'node:path';
import { defineCommand, readCommandLine, text } from '../src/cli/usage.ts';
import { buildDocs } from './docs/build.ts';
import { RemoteResourceError } from './docs/remote-check.ts';
import { killRunningToolsNow, stopRunningTools } from './docs/run-node.ts';
import { repoRoot } from './docs/tool-env.ts';

const COMMAND = defineCommand({
  command: 'npm run docs',
  summary:
    'Builds the docs site offline from specs/: index.html (overview and links), openapi.html (REST ' +
    'reference, Redoc) and asyncapi/index.html (SSE reference). Fails, naming the file, if any page would ' +
    'load a script, stylesheet, image or font from another host. Reads no environment variables of its own.',
  options: {
    out: {
      value: '<dir>',
      description: 'Where to build (default: docs-site/ in the repository).',
      rule: text('a directory path'),
    },
  },
});

const { out } = readCommandLine(COMMAND);
const outDir = out ?? join(repoRoot, 'docs-site');

const formatBytes = (bytes: number): string =>
  bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(2)} MB` : `${(bytes / 1024).toFixed(1)} kB`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

// A Ctrl-C during the AsyncAPI step must not leave its 1 GB generator running.
process.once('exit', killRunningToolsNow);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`\n${signal}: stopping the running tools\n`);
    void stopRunningTools().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  });
}

try {
  const build = await buildDocs(outDir, { log: (line) => process.stdout.write(`${line}\n`) });
  const shown = relative(process.cwd(), build.outDir) || '.';
  process.stdout.write(`\nDocs site in ${shown}/ (no remote resources):\n`);
  const width = Math.max(...build.files.map((file) => file.path.length));
  for (const file of build.files) {
    process.stdout.write(`  ${file.path.padEnd(width)}  ${formatBytes(file.bytes).padStart(9)}\n`);
  }
  const { openapi, asyncapi, index, check } = build.timings;
  process.stdout.write(
    `Took: OpenAPI ${seconds(openapi)}, AsyncAPI ${seconds(asyncapi)}, index ${seconds(index)}, check ${seconds(check)}.\n` +
      `Open ${join(shown, 'index.html')} in a browser.\n`,
  );
} catch (error) {
  await stopRunningTools();
  const message =
    error instanceof RemoteResourceError ? error.message : String(error instanceof Error ? error.message : error);
  process.stderr.write(`npm run docs failed: ${message}\n`);
  process.exitCode = 1;
}
