/**
 * How `npm start` and `npm run serve` start Node, read from package.json, the one place that
 * says: the environment the script sets, the options before the entry, and the entry. Benchmarks
 * start the server with exactly these, so what they measure is what the commands run (the heap
 * settings change resident memory and CPU; the compile cache changes memory at start).
 *
 * The scripts have one shape, `[NAME=value ...] exec node [--option ...] <entry>`; anything else
 * is refused here, so a script edited into another shape fails the benchmark (and its test)
 * instead of being measured wrongly.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

interface NodeCommand {
  /** Variables the script sets; a path (PATH_VARIABLES) resolved against the package root. */
  readonly env: Readonly<Record<string, string>>;
  /** Node's own options, before the entry. */
  readonly nodeOptions: readonly string[];
  /** The entry, an absolute path. */
  readonly entry: string;
}

const root = resolve(import.meta.dirname, '../..');
/** Variables whose value is a path, relative to the directory npm runs scripts in (the package root). */
const PATH_VARIABLES = new Set(['NODE_COMPILE_CACHE']);
const SHAPE = /^((?:[A-Z_][A-Z0-9_]*=\S+ )*)exec node((?: --[a-z0-9-]+(?:=\S+)?)*) (\S+)$/;

/** Reads the node command of `script` in package.json. */
function nodeCommandOf(script: 'start' | 'serve', packageJson = resolve(root, 'package.json')): NodeCommand {
  const scripts = (JSON.parse(readFileSync(packageJson, 'utf8')) as { scripts?: Record<string, string> }).scripts;
  const text = scripts?.[script] ?? '';
  const match = SHAPE.exec(text);
  if (match === null) {
    throw new Error(
      `package.json script "${script}" is not "[NAME=value ...] exec node [--option ...] <entry>": ${text}`,
    );
  }
  const [, assignments = '', options = '', entry = ''] = match;
  const env = Object.fromEntries(
    assignments
      .trim()
      .split(' ')
      .filter((pair) => pair !== '')
      .map((pair) => {
        const [name = '', value = ''] = pair.split(/=(.*)/s);
        return [name, PATH_VARIABLES.has(name) ? resolve(root, value) : value];
      }),
  );
  return { env, nodeOptions: options.trim().split(' ').filter(Boolean), entry: resolve(root, entry) };
}

export type { NodeCommand };
export { nodeCommandOf };
