/**
 * Vitest globalSetup: resolves the browser once before any test file starts, so that the
 * npm-shipped Chromium is unpacked by one process rather than by each parallel browser test file
 * (which would still be safe: see installShippedChromium). A failure is left to the browser tests,
 * which report it in one line: a run of unit tests alone must not fail for want of a browser.
 */
import { testBrowser } from './chromium.ts';

async function setup(): Promise<void> {
  try {
    const browser = await testBrowser();
    if ('unpackedMs' in browser && typeof browser.unpackedMs === 'number')
      console.log(
        `Unpacked ${browser.origin} into ${browser.executablePath} in ${(browser.unpackedMs / 1000).toFixed(1)} s`,
      );
  } catch {
    // testBrowser() throws the same one-line error again in the browser tests.
  }
}

export { setup };
