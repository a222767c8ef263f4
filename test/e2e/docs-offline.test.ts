/**
 * The docs site in a real browser, as a reader uses it: every page opened from disk (file://, the
 * documented way: "open docs-site/index.html") and from a loopback static server, with every
 * request to any other place blocked and counted. The build's own check (scripts/docs/remote-check.ts)
 * reads the files; this one sees what the pages really fetch once their scripts have run (Redoc
 * once fetched its logo from a CDN that way). It also follows every in-page link (`href="#…"`) to
 * its target, and checks that the AsyncAPI page names each message by its SSE event name.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDocs, SITE } from '../../scripts/docs/build.ts';
import { findRemoteResources } from '../../scripts/docs/remote-check.ts';
import { StreamEventNames } from '../../src/contract/index.ts';
import { launchBrowser } from './browser.ts';

/** What each page must have rendered before it is judged (its scripts build the content). */
const PAGES = [
  { path: SITE.index, ready: 'ul.refs a' },
  { path: SITE.openapi, ready: '[data-component-name]' },
  { path: SITE.asyncapi, ready: '#messages li[id^="message-"]' },
] as const;

/** After the content is there: lazy work (an image after mount, a late fetch) gets this long to show up. */
const SETTLE_MS = 1500;

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

/** A plain static file server for `dir` on 127.0.0.1: what `npx serve docs-site` would be. */
async function serveDirectory(dir: string): Promise<{ url: string; server: Server }> {
  const server = createServer((request, response) => {
    const path = normalize(join(dir, decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)));
    try {
      if (!path.startsWith(dir + sep)) throw new Error('outside');
      const body = readFileSync(path);
      response.writeHead(200, { 'content-type': TYPES[extname(path)] ?? 'application/octet-stream' });
      response.end(body);
    } catch {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}

interface Visit {
  /** Requests that left the site (blocked), as URLs; must stay empty. */
  readonly remote: string[];
  readonly pageErrors: string[];
  /** In-page links (`href="#…"`) on the page, and those whose target id is missing. */
  readonly anchors: number;
  readonly brokenAnchors: string[];
}

/**
 * Opens `url` in a fresh context where only `isLocal` requests go through; WebSockets are counted
 * too. Service workers are blocked so that none can fetch out of the context's sight.
 */
async function visit(browser: Browser, url: string, ready: string, isLocal: (url: string) => boolean): Promise<Visit> {
  const context: BrowserContext = await browser.newContext({ serviceWorkers: 'block' });
  const remote: string[] = [];
  const pageErrors: string[] = [];
  try {
    await context.route('**/*', async (route) => {
      const target = route.request().url();
      if (isLocal(target)) return route.continue();
      remote.push(target);
      return route.abort('blockedbyclient');
    });
    const page = await context.newPage();
    page.on('websocket', (socket) => remote.push(socket.url()));
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(url, { waitUntil: 'load', timeout: 20_000 });
    await page.locator(ready).first().waitFor({ timeout: 20_000 });
    await page.waitForTimeout(SETTLE_MS);
    const anchors = await page.evaluate<string[]>(
      `[...document.querySelectorAll('a[href^="#"]')].map((a) => a.getAttribute('href'))`,
    );
    const brokenAnchors = await page.evaluate<string[]>(
      `${JSON.stringify(anchors)}.filter((href) => {
         let id;
         try { id = decodeURIComponent(href.slice(1)); } catch { return true; }
         return id === '' || document.getElementById(id) === null;
       })`,
    );
    return { remote, pageErrors, anchors: anchors.length, brokenAnchors };
  } finally {
    await context.close();
  }
}

const isLocalFile = (url: string): boolean => /^(?:file|data|blob|about):/.test(url);

let outDir: string;
let browser: Browser;
let site: { url: string; server: Server };

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'tickerpulse-docs-e2e-'));
  [browser] = await Promise.all([launchBrowser(), buildDocs(outDir)]);
  site = await serveDirectory(outDir);
}, 240_000);
afterAll(async () => {
  await browser.close();
  await new Promise((closed) => site.server.close(closed));
  rmSync(outDir, { recursive: true, force: true });
});

describe.each([
  {
    how: 'opened from disk (file://)',
    urlOf: (path: string) => pathToFileURL(join(outDir, path)).href,
    isLocal: isLocalFile,
  },
  {
    how: 'served from a loopback static server',
    urlOf: (path: string) => `${site.url}/${path}`,
    isLocal: (url: string) => isLocalFile(url) || url.startsWith(`${site.url}/`),
  },
])('the docs site $how', ({ urlOf, isLocal }) => {
  it.each(PAGES)('$path renders, requests nothing from another host, and every #link has its target', async (page) => {
    const seen = await visit(browser, urlOf(page.path), page.ready, isLocal);
    expect(seen.remote, 'requests to other hosts (blocked)').toEqual([]);
    expect(seen.pageErrors).toEqual([]);
    expect(seen.brokenAnchors, `${page.path}: #links with no element of that id`).toEqual([]);
  });
});

it('the AsyncAPI page links every message from its sidebar and names each by its SSE event at the top', async () => {
  // Wide enough for the template's sidebar (narrower windows fold it behind a menu button).
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: { width: 1600, height: 1000 } });
  try {
    await context.route('**/*', (route) =>
      isLocalFile(route.request().url()) ? route.continue() : route.abort('blockedbyclient'),
    );
    const page = await context.newPage();
    await page.goto(pathToFileURL(join(outDir, SITE.asyncapi)).href);
    await page.locator('#messages li[id^="message-"]').first().waitFor({ timeout: 20_000 });
    for (const event of Object.values(StreamEventNames)) {
      const link = page.locator(`a[href="#message-${event}"]`);
      expect(await link.count(), `sidebar link to ${event}`).toBe(1);
      // The first line of the message's card, shown without expanding anything.
      const heading = await page
        .locator(`[id="message-${event}"] .panel-item--center > div > div:first-child`)
        .first()
        .innerText({ timeout: 5000 });
      expect(heading, `the heading of message ${event}`).toContain(event);
      await link.click({ timeout: 5000 });
      await expect.poll(() => page.evaluate<string>('location.hash')).toBe(`#message-${event}`);
      // The click brought the message into the window.
      const top = await page.evaluate<number>(
        `document.getElementById('message-${event}').getBoundingClientRect().top`,
      );
      expect(top).toBeGreaterThanOrEqual(-1);
      expect(top).toBeLessThan(1000);
    }
  } finally {
    await context.close();
  }
});

it("the build's file check also catches an asset URL that a script sets at runtime", () => {
  const dir = mkdtempSync(join(tmpdir(), 'tickerpulse-docs-check-'));
  try {
    // What Redoc 3 shipped (its logo), and a link to an SVG, which is no load.
    writeFileSync(
      join(dir, 'page.html'),
      '<script>h("img",{src:e?`https://cdn.example/logo-full.svg`:`https://cdn.example/logo.svg`})</script>\n' +
        '<a href="https://example.org/diagram.svg">diagram</a><script>h("a",{href:"https://example.org/d.svg"})</script>\n',
    );
    expect(findRemoteResources(dir).map((found) => `${found.line} ${found.kind}`)).toEqual([
      '1 asset URL in a string',
      '1 asset URL in a string',
    ]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
