/**
 * The frontend developer's setup, run as they run it: `npm run mock`, then the one URL its banner
 * prints, `http://127.0.0.1:<sse-port>/`, opened in headless Chromium. The SSE mock serves the
 * dashboard there with a config.js pointed at Prism (REST) and at itself (streams); no real
 * backend or database is involved.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { freePort } from '../support/free-port.ts';
import { launchBrowser, listedIds, screenshot, textOf, waitForStatus, watchCspViolations } from './browser.ts';

const root = resolve(import.meta.dirname, '../..');
/** The mock stops by itself after this, should the test not get to stop it. */
const MOCK_DURATION_S = 120;

let browser: Browser;
let mock: ChildProcess;
let banner = '';
let restPort: number;
let ssePort: number;

/** Starts `npm run mock` in its own process group and resolves with its banner. */
function startMock(): Promise<string> {
  mock = spawn(
    'npm',
    [
      'run',
      '--silent',
      'mock',
      '--',
      `--rest-port=${restPort}`,
      `--sse-port=${ssePort}`,
      '--interval=300',
      `--duration=${MOCK_DURATION_S}`,
    ],
    { cwd: root, env: process.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  let output = '';
  return new Promise((started, failed) => {
    mock.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (/Stopping by itself/.test(output)) started(output);
    });
    mock.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    mock.once('exit', (code) => {
      failed(new Error(`npm run mock exited (${String(code)}) before it was up:\n${output}`));
    });
  });
}

/** Stops the process group this test started (npm, tsx, Prism) and waits for npm to exit. */
function stopMock(): Promise<void> {
  return new Promise((stopped) => {
    if (mock.pid === undefined || mock.exitCode !== null) {
      stopped();
      return;
    }
    mock.once('exit', () => {
      stopped();
    });
    process.kill(-mock.pid, 'SIGTERM');
  });
}

beforeAll(async () => {
  [restPort, ssePort] = await Promise.all([freePort(), freePort()]);
  [browser, banner] = await Promise.all([launchBrowser(), startMock()]);
}, 60_000);
afterAll(async () => {
  await Promise.all([browser.close(), stopMock()]);
});

it('prints the dashboard URL on the SSE port, and no settings to copy', () => {
  expect(banner).toContain(`dashboard  http://127.0.0.1:${ssePort}/ `);
  expect(banner).toContain(`http://127.0.0.1:${restPort}`);
  expect(banner).not.toMatch(/BASE_URL=/);
});

it('serves a config.js that points REST at Prism and the streams at the SSE mock', async () => {
  const response = await fetch(`http://127.0.0.1:${ssePort}/config.js`);
  expect(response.status).toBe(200);
  expect(await response.text()).toContain(
    JSON.stringify({ restBaseUrl: `http://127.0.0.1:${restPort}`, streamBaseUrl: `http://127.0.0.1:${ssePort}` }),
  );
});

it('shows Connected and live data at the URL the banner prints', async () => {
  const url = /dashboard {2}(\S+)/.exec(banner)?.[1] ?? '';
  const page = await browser.newPage();
  const violations = await watchCspViolations(page);

  await page.goto(url);
  await waitForStatus(page, 'Connected', 10_000);
  await expect
    .poll(async () => (await listedIds(page)).filter((id) => id.startsWith('mock-')).length, { timeout: 10_000 })
    .toBeGreaterThanOrEqual(3);
  const total = await page.evaluate(textOf('metric-total'));
  await screenshot(page, 'mock');

  expect(Number(total)).toBeGreaterThan(0);
  expect(await violations()).toEqual([]);
  await page.close();
});

it('opens a configuration stream: its token minted by Prism, its stream from the SSE mock', async () => {
  const url = /dashboard {2}(\S+)/.exec(banner)?.[1] ?? '';
  const page = await browser.newPage();
  const violations = await watchCspViolations(page);

  await page.goto(url);
  await page.locator('[data-testid="load-configurations"]').click();
  await page.locator('[data-testid="open-config-stream"]').first().click();
  await expect
    .poll(() => page.locator('[data-testid="config-status"]').textContent(), { timeout: 10_000 })
    .toBe('Connected');
  await expect
    .poll(async () => (await listedIds(page, 'config-items')).length, { timeout: 10_000 })
    .toBeGreaterThanOrEqual(1);

  expect(await violations()).toEqual([]);
  await page.close();
});
