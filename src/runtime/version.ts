import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** The package version, read once (reported by /health). */
const VERSION: string = (
  JSON.parse(readFileSync(join(import.meta.dirname, '../../package.json'), 'utf8')) as { version: string }
).version;

export { VERSION };
