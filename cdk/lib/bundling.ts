/**
 * How both Lambda handlers are bundled: the local esbuild (a devDependency, so no Docker), one
 * ESM file per function, for the Node 24 runtime, with the same esbuild settings as
 * `npm run build` (scripts/lambda-esbuild.ts), translated into NodejsFunction bundling options.
 * Kept apart from the stack so the settings are asserted directly in `cdk/test` (the template only
 * shows the finished asset hash).
 */
import { OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { BundlingOptions } from 'aws-cdk-lib/aws-lambda-nodejs';
import { ESM_REQUIRE_BANNER, HANDLER_ENTRIES, LAMBDA_ESBUILD, PROJECT_ROOT } from '../../scripts/lambda-esbuild.ts';

const shared = LAMBDA_ESBUILD;

/** NodejsFunction has no option of its own for these two: passed to esbuild as they are. */
const esbuildArgs = {
  '--legal-comments': shared.legalComments,
  ...Object.fromEntries(Object.entries(shared.alias).map(([name, path]) => [`--alias:${name}`, path])),
};

const BUNDLING: BundlingOptions = Object.freeze({
  define: shared.define,
  esbuildArgs,
  format: OutputFormat.ESM,
  target: shared.target,
  minify: shared.minify,
  // `linked` is esbuild's `--sourcemap` without a value: CDK's DEFAULT mode.
  sourceMap: true,
  sourceMapMode: SourceMapMode.DEFAULT,
  externalModules: [...shared.external],
  mainFields: [...shared.mainFields],
  banner: shared.banner.js,
  forceDockerBundling: false,
});

export { BUNDLING, ESM_REQUIRE_BANNER, HANDLER_ENTRIES, PROJECT_ROOT };
