/**
 * The docs site in a real browser, as a reader uses it: every page opened from disk (file://, the
 * documented way: "open docs-site/index.html") and from a loopback static server, with every
 * request to any other place blocked and counted. The build's own check (scripts/docs/remote-check.ts)
 * reads the files; this one sees what the pages really fetch once their scripts have run (Redoc
 * once fetched its logo from a CDN that way). It also follows every in-page link (`href="#…"`) to
 * its target, and checks that the AsyncAPI page names each message by its SSE event name.
 *
 * Then what a reader sees at 1280 px, a common laptop width: the AsyncAPI page in its desktop
 * layout (it used to fold its sidebar behind a menu button below 1536 px), the `sse` section of
 * the REST reference listing the two operations it says it marks (it listed none), and code spans
 * shown as code on both references, never as text between backticks.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { extname, join, normalize, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDocs, SITE } from '../../scripts/docs/build.ts';
import { CODE_SPAN_CLASS } from '../../scripts/docs/page-fixes.ts';
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
/** A laptop's window: the width the reader checks below are made at. */
const LAPTOP = { width: 1280, height: 900 } as const;

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

/** A page of the site (`path`, with any `#fragment`) from disk at 1280 px, every request elsewhere blocked. */
async function atLaptopWidth(
  path: string,
  ready: string,
  use: (page: Page, pageErrors: readonly string[]) => Promise<void>,
): Promise<void> {
  const context = await browser.newContext({ serviceWorkers: 'block', viewport: LAPTOP });
  try {
    await context.route('**/*', (route) =>
      isLocalFile(route.request().url()) ? route.continue() : route.abort('blockedbyclient'),
    );
    const page = await context.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (error) => pageErrors.push(error.message));
    const [file = path, hash] = path.split('#');
    await page.goto(`${pathToFileURL(join(outDir, file)).href}${hash === undefined ? '' : `#${hash}`}`);
    await page.locator(ready).first().waitFor({ timeout: 20_000 });
    await use(page, pageErrors);
  } finally {
    await context.close();
  }
}

it('the AsyncAPI page at 1280 px: the desktop layout, every message linked from its sidebar and named by its SSE event', async () => {
  await atLaptopWidth(SITE.asyncapi, '#messages li[id^="message-"]', async (page) => {
    // The desktop layout: the sidebar beside the content, no menu button folding it away.
    await expect
      .poll(() => page.evaluate<string>(`getComputedStyle(document.querySelector('.sidebar')).display`))
      .not.toBe('none');
    expect(await page.locator('.burger-menu').isVisible()).toBe(false);
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
      expect(top).toBeLessThan(LAPTOP.height);
    }
  });
});

it('the REST reference lists under the sse tag the two stream operations its text says it marks', async () => {
  await atLaptopWidth(`${SITE.openapi}#/sse`, '[id="sse"]', async (page, pageErrors) => {
    const section = page.locator('[id="sse"]').first();
    await expect.poll(() => section.innerText(), { timeout: 10_000 }).toMatch(/Marks the two operations/);
    const operations = await section.innerText();
    expect(operations).toMatch(/GET\s+\/api\/v2\/stream\b/);
    expect(operations).toMatch(/GET\s+\/api\/v2\/configurations\/\{config_id\}\/stream\b/);
    expect(pageErrors).toEqual([]);
  });
});

/** Text the page shows between backticks (outside code), and code drawn with backticks around it. */
const BACKTICKS_SHOWN = `(() => {
  const shown = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!/\`[^\`\\n]+\`/.test(node.data) || parent.closest('code, pre, script, style, textarea') !== null) continue;
    if (parent.getClientRects().length > 0) shown.push(node.data.trim().slice(0, 120));
  }
  for (const code of document.querySelectorAll('code')) {
    for (const pseudo of ['::before', '::after']) {
      if (getComputedStyle(code, pseudo).content.includes('\`')) shown.push(pseudo + ' of <code>' + code.textContent.slice(0, 60));
    }
  }
  return shown;
})()`;

it.each([
  { path: SITE.openapi, ready: '[data-testid="server-panel-item-name"]', code: 'npm start' },
  { path: SITE.asyncapi, ready: '#messages li[id^="message-"]', code: 'GET /api/v2/stream' },
])('$path shows code spans as code, with no backticks around them', async ({ path, ready, code }) => {
  await atLaptopWidth(path, ready, async (page, pageErrors) => {
    await page.waitForTimeout(SETTLE_MS);
    await expect.poll(() => page.evaluate<string[]>(BACKTICKS_SHOWN), { timeout: 10_000 }).toEqual([]);
    // Among them a span the tool printed as plain text (a server's description, an operation's summary).
    expect(await page.locator(`code.${CODE_SPAN_CLASS}`, { hasText: code }).count()).toBeGreaterThan(0);
    expect(pageErrors).toEqual([]);
  });
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
