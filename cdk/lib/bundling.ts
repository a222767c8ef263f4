/**
 * How both Lambda handlers are bundled: the local esbuild (a devDependency, so no Docker), one
 * ESM file per function, for the Node 24 runtime. Kept apart from the stack so the settings are
 * asserted directly in `cdk/test` (the template only shows the finished asset hash).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';

/** The repository root: esbuild resolves `node_modules` and the lockfile from here, whatever the cwd. */
const PROJECT_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Entry files of the two handlers (each exports `handler`), relative to {@link PROJECT_ROOT}. */
const HANDLER_ENTRIES = Object.freeze({
  rest: 'src/lambda/rest-handler.ts',
  stream: 'src/lambda/stream-handler.ts',
} as const);

/**
 * An ESM bundle has no `require`, but CommonJS dependencies bundled into it (ajv's standalone
 * validators call `require` for their runtime helpers) still do: recreate it from `import.meta.url`.
 */
const ESM_REQUIRE_BANNER = "import { createRequire } from 'module'; const require = createRequire(import.meta.url);";

/**
 * The esbuild settings shared by both functions.
 *
 * - `@aws-sdk/*` stays external: the nodejs24.x runtime ships SDK v3, and bundling it would add
 *   megabytes to every cold start.
 * - `mainFields` prefers the ESM build of a dependency so esbuild can tree-shake it.
 * - Source maps are emitted and enabled at run time (`NODE_OPTIONS=--enable-source-maps` in the
 *   stack), because stack traces of a minified bundle are otherwise unreadable.
 */
const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/**
 * The same two adjustments as `npm run build` (scripts/build-lambda.ts), so the deployed bundles
 * are the measured ones: the version is compiled in (a bundle has no package.json beside it), and
 * iconv-lite is replaced by the UTF-8-only src/lambda/iconv-utf8.ts (481 KiB less).
 */
const BUNDLING: BundlingOptions = Object.freeze({
  define: { __TICKERPULSE_VERSION__: JSON.stringify(VERSION) },
  esbuildArgs: { '--alias:iconv-lite': join(PROJECT_ROOT, 'src/lambda/iconv-utf8.ts') },
  format: OutputFormat.ESM,
  target: 'node24',
  minify: true,
  sourceMap: true,
  externalModules: ['@aws-sdk/*'],
  mainFields: ['module', 'main'],
  banner: ESM_REQUIRE_BANNER,
  forceDockerBundling: false,
});

export { BUNDLING, ESM_REQUIRE_BANNER, HANDLER_ENTRIES, PROJECT_ROOT };
