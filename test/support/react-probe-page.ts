/**
 * A test page for `tickerpulse/react` in a browser: React components that each read one stream
 * with useStream() and report what they render, mounted and unmounted by the test through
 * `window.__probes`. Bundled by esbuild from `tickerpulse/react`'s source (the
 * `tickerpulse-source` condition of package.json "exports"), React in its development build so
 * that StrictMode mounts, unmounts and mounts again as it does in a developer's app, and served
 * from a loopback origin of its own, so every call is cross-origin (CORS) as from a frontend's
 * dev server.
 *
 * The page is TypeScript (TSX) in a string: the project's tsconfig has no DOM library and no JSX
 * (test/e2e/browser.ts); esbuild checks its syntax and imports when it bundles it.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { listenOnLoopback, type LoopbackServer } from './loopback-server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

const PROBE_PAGE = `
import { StrictMode, useEffect } from 'react';
import { createRoot, type Root } from 'react-dom/client';
import { StreamRefusedError } from 'tickerpulse/client';
import { type StreamView, useStream } from 'tickerpulse/react';

interface ProbeProps {
  readonly name: string;
  readonly url: string;
  readonly headers?: Record<string, string>;
  readonly token?: string;
}

interface Report {
  states: string[];
  view: unknown;
  handled: string[];
  mounts: number;
}

const reports: Record<string, Report> = {};

/** An error as plain data the test can read: a refusal's status, else its name and message. */
function described(error: unknown): unknown {
  if (error === undefined) return undefined;
  if (error instanceof StreamRefusedError) return { name: error.name, status: error.status };
  return error instanceof Error ? { name: error.name, message: error.message } : { name: typeof error };
}

function Probe({ name, url, headers, token }: ProbeProps) {
  const report = (reports[name] ??= { states: [], view: undefined, handled: [], mounts: 0 });
  const view: StreamView = useStream(url, {
    headers,
    token: token === undefined ? undefined : () => token,
    onEvent: { new_item: (item) => report.handled.push(item.item_id) },
  });
  useEffect(() => {
    report.mounts += 1;
  }, [report]);
  useEffect(() => {
    if (report.states.at(-1) !== view.state.state) report.states.push(view.state.state);
    report.view = { state: view.state, latest: view.latest, items: view.items, error: described(view.error) };
  });
  return <p data-testid={name}>{view.state.state}</p>;
}

interface Mounted {
  readonly root: Root;
  readonly props: ProbeProps;
  readonly strict: boolean;
  generation: number;
}

const mounted = new Map<string, Mounted>();

/** Renders the probe; a new generation is a new key, so React unmounts the old one and mounts another in one commit. */
function render({ root, props, strict, generation }: Mounted): void {
  const probe = <Probe key={generation} {...props} />;
  root.render(strict ? <StrictMode>{probe}</StrictMode> : probe);
}

declare global {
  interface Window {
    __probes: unknown;
  }
}

window.__probes = {
  mount(props: ProbeProps, strict = false) {
    const container = document.createElement('div');
    document.body.append(container);
    const entry = { root: createRoot(container), props, strict, generation: 0 };
    mounted.set(props.name, entry);
    render(entry);
  },
  remount(name: string) {
    const entry = mounted.get(name);
    if (entry === undefined) return;
    entry.generation += 1;
    render(entry);
  },
  unmount(name: string) {
    mounted.get(name)?.root.unmount();
    mounted.delete(name);
  },
  report: (name: string): Report | undefined => reports[name],
};
`;

async function bundleProbePage(): Promise<string> {
  const built = await build({
    stdin: { contents: PROBE_PAGE, loader: 'tsx', resolveDir: ROOT, sourcefile: 'react-probe-page.tsx' },
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    conditions: ['tickerpulse-source'],
    // React's development build: StrictMode's double mount only happens there.
    define: { 'process.env.NODE_ENV': '"development"' },
    write: false,
    logLevel: 'silent',
  });
  const [output] = built.outputFiles;
  if (output === undefined) throw new Error('esbuild wrote no probe page');
  return output.text;
}

/** Serves the page at `/` and its bundle at `/probe.js`, on a loopback port of its own. */
async function serveProbePage(bundle: string): Promise<LoopbackServer> {
  return listenOnLoopback((req, res) => {
    if (req.url === '/probe.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
    } else if (req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><script src="/probe.js"></script>');
    } else {
      res.writeHead(404).end();
    }
  });
}

interface ProbeProps {
  readonly name: string;
  readonly url: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly token?: string;
}

interface ProbeReport {
  /** Each state the component rendered, in order, repeats left out. */
  readonly states: string[];
  /** The view as last rendered, its error as `{ name, status }` or `{ name, message }`. */
  readonly view: {
    readonly state: { readonly state: string; readonly reason?: string; readonly status?: number };
    readonly latest: Readonly<Record<string, unknown>>;
    readonly items: readonly { readonly item_id: string }[];
    readonly error: { readonly name: string; readonly status?: number; readonly message?: string } | undefined;
  };
  /** The `item_id` of every new_item the component's own handler received. */
  readonly handled: string[];
  /** How many times its mount effects ran: 2 under StrictMode (mount, unmount, mount), else 1 per mount. */
  readonly mounts: number;
}

/** Browser-side calls are strings: see the note at the top. */
const probes = {
  mount: (page: Page, props: ProbeProps, strict = false) =>
    page.evaluate(`window.__probes.mount(${JSON.stringify(props)}, ${String(strict)})`),
  /** Replaces the component by a new one (another key) in one commit: an unmount and a mount. */
  remount: (page: Page, name: string) => page.evaluate(`window.__probes.remount(${JSON.stringify(name)})`),
  unmount: (page: Page, name: string) => page.evaluate(`window.__probes.unmount(${JSON.stringify(name)})`),
  report: (page: Page, name: string) =>
    page.evaluate<ProbeReport | undefined>(`window.__probes.report(${JSON.stringify(name)})`),
};

export type { ProbeProps, ProbeReport };
export { bundleProbePage, probes, serveProbePage };
