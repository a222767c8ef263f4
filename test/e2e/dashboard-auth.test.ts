/**
 * The dashboard against the Lambda profile's authentication: a real server that does not trust
 * `X-User-ID` (AUTH_TRUST_USER_ID_HEADER=false) and verifies HS256 JWTs (AUTH_JWT_SECRET). Without
 * a token the configuration calls are refused (401); with a JWT pasted into the token field, the
 * page lists, creates and streams the configurations of the token's `sub`, sends the token as
 * `Authorization` (never `X-User-ID` alongside it), and keeps it in sessionStorage across a reload.
 */
import { SignJWT } from 'jose';
import type { Browser, BrowserContext, Page, Request } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalServer } from '../../src/runtime/local-server.ts';
import { startTestServer, TEST_JWT_SECRET } from '../support/test-server.ts';
import { ingest, item, itemSelector, launchBrowser } from './browser.ts';

let server: LocalServer | undefined;
let browser: Browser | undefined;
let context: BrowserContext | undefined;

beforeAll(async () => {
  [server, browser] = await Promise.all([
    startTestServer({
      AUTH_TRUST_USER_ID_HEADER: 'false',
      AUTH_JWT_SECRET: TEST_JWT_SECRET,
      POLL_INTERVAL_MS: '300',
      RETRY_MS: '500',
      HEARTBEAT_INTERVAL_MS: '1000',
      FEED_SETTLE_MS: '1000',
    }),
    launchBrowser(),
  ]);
});
afterAll(async () => {
  await context?.close();
  await Promise.all([browser?.close(), server?.close()]);
});

async function jwtFor(userId: string): Promise<string> {
  return new SignJWT({})
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(Math.floor(Date.now() / 1000) + 600)
    .sign(new TextEncoder().encode(TEST_JWT_SECRET));
}

const message = (page: Page) => page.locator('[data-testid="config-message"]').textContent();

describe('the dashboard with a Bearer token (server not trusting X-User-ID)', () => {
  it('is refused without a token, then lists, creates and streams with one, kept for the tab', async () => {
    if (server === undefined || browser === undefined) throw new Error('not started');
    const user = `e2e-jwt-${Date.now()}`;
    const token = await jwtFor(user);
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const configRequests: Request[] = [];
    page.on('request', (request) => {
      if (new URL(request.url()).pathname.startsWith('/api/v2/configurations')) configRequests.push(request);
    });
    await page.goto(server.url);

    // X-User-ID alone: this profile refuses it.
    await page.getByRole('button', { name: 'Load configurations' }).click();
    await expect.poll(() => message(page), { timeout: 5000 }).toMatch(/401/);

    // Pasted with its scheme, as copied from a header; the page keeps the bare token.
    await page.getByLabel('Bearer token (JWT)').fill(`Bearer ${token}`);
    await page.getByLabel('Bearer token (JWT)').press('Tab');
    await expect.poll(() => message(page), { timeout: 5000 }).toContain('Bearer token kept');
    expect(await page.evaluate(() => sessionStorage.getItem('tickerpulse.bearerToken'))).toBe(token);

    await page.getByRole('button', { name: 'Load configurations' }).click();
    await expect.poll(() => message(page), { timeout: 5000 }).toContain('No configurations');
    await page.getByLabel('Name').fill('Signed in');
    await page.getByLabel('Tickers (comma-separated)').fill('AAPL');
    await page.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('button', { name: 'Open the stream of Signed in' }).waitFor({ timeout: 5000 });

    // Owned by the token's subject.
    const listed = await fetch(`${server.url}/api/v2/configurations`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(((await listed.json()) as { configurations: { name: string }[] }).configurations).toEqual([
      expect.objectContaining({ name: 'Signed in' }),
    ]);

    // The stream token is minted with the JWT; the stream shows the configuration's items.
    await page.getByRole('button', { name: 'Open the stream of Signed in' }).click();
    await expect
      .poll(() => page.locator('[data-testid="config-status"]').textContent(), { timeout: 5000 })
      .toBe('Connected');
    const mine = item('AAPL');
    await ingest(server.url, [mine]);
    await page.locator(itemSelector(mine.item_id, 'config-items')).waitFor({ timeout: 5000 });

    const signed = configRequests.filter((request) => request.headers().authorization !== undefined);
    expect(signed.map((request) => request.headers().authorization)).toContain(`Bearer ${token}`);
    expect(signed.filter((request) => request.headers()['x-user-id'] !== undefined)).toEqual([]);
    expect(configRequests.some((request) => request.url().endsWith('/stream-token'))).toBe(true);

    // A reload keeps the token for this tab (sessionStorage), so the list loads signed in.
    await page.reload();
    expect(await page.getByLabel('Bearer token (JWT)').inputValue()).toBe(token);
    await expect.poll(() => message(page), { timeout: 5000 }).toBe('1 configuration(s).');
  });
});
