/**
 * The one esbuild configuration of the two Lambda bundles, read by `npm run build`
 * (scripts/build-lambda.ts) and by the CDK stack (cdk/lib/bundling.ts, which translates it into
 * NodejsFunction bundling options), so the measured bundles are the deployed ones.
 *
 * - ESM for Node 24, minified; `@aws-sdk/*` stays external: the nodejs24.x runtime ships SDK v3,
 *   and bundling it would add megabytes to every cold start.
 * - `mainFields` prefers the ESM build of a dependency so esbuild can tree-shake it.
 * - Linked source maps (a `.map` beside the bundle, and the comment pointing to it): the stack
 *   runs with `NODE_OPTIONS=--enable-source-maps`, which needs that comment to find the map.
 * - The version is compiled in (a bundle has no package.json beside it), and iconv-lite is
 *   replaced by the UTF-8-only src/lambda/iconv-utf8.ts (481 KiB less), like the contract.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BuildOptions } from 'esbuild';

/** The repository root: esbuild resolves `node_modules` and the lockfile from here, whatever the cwd. */
const PROJECT_ROOT = fileURLToPath(new URL('../', import.meta.url));

/** Entry files of the two handlers (each exports `handler`), relative to {@link PROJECT_ROOT}. */
const HANDLER_ENTRIES = Object.freeze({
  rest: 'src/lambda/rest-handler.ts',
  stream: 'src/lambda/stream-handler.ts',
} as const);

/**
 * An ESM bundle has no `require`, but CommonJS dependencies bundled into it (ajv's standalone
 * validators, express) still call it: recreate it from `import.meta.url`.
 */
const ESM_REQUIRE_BANNER =
  "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);";

const VERSION = (JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string }).version;

/** Everything but the entry point and the output file. */
const LAMBDA_ESBUILD = Object.freeze({
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  minify: true,
  sourcemap: 'linked',
  mainFields: ['module', 'main'],
  external: ['@aws-sdk/*'],
  banner: { js: ESM_REQUIRE_BANNER },
  legalComments: 'none',
  define: { __TICKERPULSE_VERSION__: JSON.stringify(VERSION) },
  alias: { 'iconv-lite': join(PROJECT_ROOT, 'src/lambda/iconv-utf8.ts') },
  logLevel: 'warning',
} as const satisfies BuildOptions);

export { ESM_REQUIRE_BANNER, HANDLER_ENTRIES, LAMBDA_ESBUILD, PROJECT_ROOT };
