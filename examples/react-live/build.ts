/**
 * Builds the example app with esbuild, in memory: src/main.tsx bundled with React and
 * `tickerpulse/client` + `tickerpulse/react`, next to index.html and style.css. In this
 * repository the two resolve to their TypeScript source (the `tickerpulse-source` condition of
 * package.json "exports"), so the app never runs a stale build; in your own project they resolve
 * to the installed package and no condition is needed.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build } from 'esbuild';

const HERE = import.meta.dirname;

/** Where the app's API is (src/config.ts): empty URLs mean the page's own origin (a proxy). */
interface AppSettings {
  readonly restUrl: string;
  readonly streamUrl: string;
  readonly userId: string;
}

interface BuiltFile {
  readonly contentType: string;
  readonly body: string;
}

/** The app's files by URL path: `/` (index.html), `/main.js`, `/style.css`. */
type BuiltApp = ReadonlyMap<string, BuiltFile>;

async function bundle(settings: AppSettings): Promise<string> {
  const result = await build({
    entryPoints: [join(HERE, 'src/main.tsx')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    conditions: ['tickerpulse-source'],
    // React's development build, as a dev server serves it: StrictMode mounts every component
    // twice, which useStream() must (and does) survive with one connection.
    define: { 'process.env.NODE_ENV': '"development"', TICKERPULSE_EXAMPLE: JSON.stringify(settings) },
    sourcemap: 'inline',
    write: false,
    logLevel: 'silent',
  });
  const [output] = result.outputFiles;
  if (output === undefined) throw new Error('esbuild wrote nothing for the example app');
  return output.text;
}

async function buildApp(settings: AppSettings): Promise<BuiltApp> {
  const [script, html, css] = await Promise.all([
    bundle(settings),
    readFile(join(HERE, 'index.html'), 'utf8'),
    readFile(join(HERE, 'style.css'), 'utf8'),
  ]);
  return new Map([
    ['/', { contentType: 'text/html; charset=utf-8', body: html }],
    ['/main.js', { contentType: 'text/javascript; charset=utf-8', body: script }],
    ['/style.css', { contentType: 'text/css; charset=utf-8', body: css }],
  ]);
}

export type { AppSettings, BuiltApp, BuiltFile };
export { buildApp };
