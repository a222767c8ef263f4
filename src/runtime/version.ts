import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** Set by the Lambda build (esbuild `define`); a bundle has no package.json beside it. */
declare const __TICKERPULSE_VERSION__: string | undefined;

/** The package version, read once (reported by /health). */
const VERSION: string =
  typeof __TICKERPULSE_VERSION__ === 'string'
    ? __TICKERPULSE_VERSION__
    : (JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string })
        .version;

export { VERSION };
