/**
 * `npm run screenshots`: the dashboard as `npm start` shows it, photographed for the docs. Starts
 * the real local server (startLocalServer with a day of demo data, as `npm start` assembles it) on
 * a free loopback port, opens the dashboard in the npm-shipped headless Chromium (found as the
 * browser tests find it, test/support/chromium.ts), waits until it is Connected and the chart is
 * drawn, and writes docs/screenshots/dashboard.png (1280 × 900) and docs/screenshots/phone.png
 * (375 px wide, the whole page). Everything it starts is stopped before it exits.
 */
import { mkdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { defineCommand, oneOf, readCommandLine, text } from '../src/cli/usage.ts';
import { repoRoot } from './docs/tool-env.ts';

const COMMAND = defineCommand({
  command: 'npm run screenshots',
  summary:
    'Photographs the dashboard for the docs: starts the local server with a day of demo data on a free ' +
    'loopback port, opens the dashboard in the npm-shipped headless Chromium, waits for Connected and the ' +
    'sentiment chart, and writes dashboard.png (1280 x 900) and phone.png (375 px wide, whole page). ' +
    'Reads no environment variables of its own (CHROMIUM_PATH chooses the browser, as for the tests).',
  options: {
    out: {
      value: '<dir>',
      description: 'Where to write the images (default: docs/screenshots/ in the repository).',
      rule: text('a directory path'),
    },
    simulate: {
      value: '<on|off>',
      description: 'Run the simulator too, so that items arrive while the pictures are taken.',
      rule: oneOf(['on', 'off']),
      default: 'off',
    },
  },
});

/** The whole run, server start and demo data included, ends by then. */
const DEADLINE_MS = 120_000;
const WAIT_MS = 20_000;

/** Chromium's flags: those of the browser tests (test/e2e/browser.ts, docs/testing.md). */
const BROWSER_ARGS = [
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

interface Shot {
  readonly name: string;
  readonly viewport: { readonly width: number; readonly height: number };
  readonly fullPage: boolean;
}

const SHOTS: readonly Shot[] = [
  { name: 'dashboard', viewport: { width: 1280, height: 900 }, fullPage: false },
  { name: 'phone', viewport: { width: 375, height: 812 }, fullPage: true },
];

/**
 * Waits until `expression` (evaluated in the page) is true. Polled from here: the page's
 * Content-Security-Policy forbids the eval that page.waitForFunction relies on.
 */
async function waitUntil(page: Page, expression: string, what: string): Promise<void> {
  const until = Date.now() + WAIT_MS;
  while (!(await page.evaluate<boolean>(expression))) {
    if (Date.now() > until) throw new Error(`the dashboard did not show ${what} within ${WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Opens the dashboard at `shot`'s size, waits until it shows live data and the chart, and writes the image. */
async function photograph(browser: Browser, url: string, shot: Shot, outDir: string): Promise<string> {
  const context = await browser.newContext({ viewport: shot.viewport, deviceScaleFactor: 1 });
  try {
    const page = await context.newPage();
    await page.goto(url);
    const testId = (id: string) => `document.querySelector('[data-testid="${id}"]')`;
    await waitUntil(page, `${testId('connection-status')}?.textContent === 'Connected'`, 'Connected');
    await waitUntil(page, `${testId('sentiment-chart')}?.dataset.state === 'drawn'`, 'the sentiment chart');
    await waitUntil(page, `${testId('items')}?.children.length > 0`, 'items');
    await waitUntil(page, `${testId('metric-total')}?.textContent !== '–'`, 'metrics');
    const path = join(outDir, `${shot.name}.png`);
    await page.screenshot({ path, fullPage: shot.fullPage });
    return path;
  } finally {
    await context.close();
  }
}

async function main(): Promise<void> {
  const { out, simulate } = readCommandLine(COMMAND);
  const outDir = out ?? join(repoRoot, 'docs/screenshots');
  mkdirSync(outDir, { recursive: true });
  // Loaded once the command line is known good: --help answers at once.
  const [{ chromium }, { testBrowser }, { loadConfig }, { createLogger }, { startLocalServer }, { startSimulator }] =
    await Promise.all([
      import('playwright-core'),
      import('../test/support/chromium.ts'),
      import('../src/config.ts'),
      import('../src/observability/logger.ts'),
      import('../src/runtime/local-server.ts'),
      import('../src/demo/simulator.ts'),
    ]);
  const logger = createLogger('warn');
  const config = loadConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    SIMULATE: simulate === 'on' ? 'true' : 'false',
  });
  process.stdout.write('Starting the local server with a day of demo data…\n');
  const server = await startLocalServer(config, { logger, seedDemoData: true });
  const simulator =
    simulate === 'on'
      ? startSimulator({ baseUrl: server.url, ingestApiKey: server.secrets.ingestApiKey, logger })
      : undefined;
  let browser: Browser | undefined;
  try {
    const found = await testBrowser();
    browser = await chromium.launch({
      executablePath: found.executablePath,
      env: { ...process.env, ...found.env },
      headless: true,
      chromiumSandbox: false,
      args: BROWSER_ARGS,
    });
    for (const shot of SHOTS) {
      const path = await photograph(browser, `${server.url}/`, shot, outDir);
      process.stdout.write(`  ${relative(process.cwd(), path) || path}  (${shot.viewport.width} px wide)\n`);
    }
  } finally {
    simulator?.stop();
    await browser?.close();
    await server.close();
  }
}

const deadline = setTimeout(() => {
  process.stderr.write(`npm run screenshots: not done within ${DEADLINE_MS / 1000} s; stopping\n`);
  process.exit(1);
}, DEADLINE_MS);
deadline.unref();

try {
  await main();
} catch (error) {
  process.stderr.write(`npm run screenshots: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
}
