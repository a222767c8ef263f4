/**
 * The stack bundles with exactly the esbuild settings of `npm run build` (scripts/lambda-esbuild.ts):
 * every setting the build script passes has its counterpart in the CDK bundling options.
 */
import { OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { expect, it } from 'vitest';
import { LAMBDA_ESBUILD } from '../../scripts/lambda-esbuild.ts';
import { BUNDLING } from '../lib/bundling.ts';

it('translates every shared esbuild setting into the CDK bundling options', () => {
  // NodejsFunction always bundles for Node; the rest must be carried over one by one.
  expect(LAMBDA_ESBUILD).toMatchObject({ bundle: true, platform: 'node', format: 'esm', sourcemap: 'linked' });
  expect(BUNDLING).toMatchObject({
    format: OutputFormat.ESM,
    target: LAMBDA_ESBUILD.target,
    minify: LAMBDA_ESBUILD.minify,
    sourceMap: true,
    sourceMapMode: SourceMapMode.DEFAULT,
    externalModules: [...LAMBDA_ESBUILD.external],
    mainFields: [...LAMBDA_ESBUILD.mainFields],
    banner: LAMBDA_ESBUILD.banner.js,
    define: LAMBDA_ESBUILD.define,
  });
  const aliases = Object.entries(LAMBDA_ESBUILD.alias).map(([name, path]) => [`--alias:${name}`, path]);
  expect(BUNDLING.esbuildArgs).toEqual({
    '--legal-comments': LAMBDA_ESBUILD.legalComments,
    ...Object.fromEntries(aliases),
  });
  const covered = ['bundle', 'platform', 'format', 'target', 'minify', 'sourcemap', 'mainFields', 'external'];
  const alsoCovered = ['banner', 'legalComments', 'define', 'alias', 'logLevel'];
  expect(Object.keys(LAMBDA_ESBUILD).sort()).toEqual([...covered, ...alsoCovered].sort());
});
