/**
 * What `npm run mock` tells a frontend developer to do must work: the URLs it prints answer on
 * the contract, and the dashboard URL serves the dashboard with a /config.js pointing at both
 * mocks. (It once printed REST_BASE_URL= and STREAM_BASE_URL=, which nothing reads; it prints no
 * settings now.) The configurations the REST mock lists are those whose streams the SSE mock
 * serves, each with its own tickers, and a stream plays the edges the banner names.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { createApiClient } from '../../support/api-client.ts';
import { freePort } from '../../support/free-port.ts';
import { openStream } from '../../support/sse-client.ts';

const root = resolve(import.meta.dirname, '../../..');

const [restPort, ssePort] = await Promise.all([freePort(), freePort()]);
// Its own process group, so stopping it stops npm, the shell, the mock and Prism together.
const child = spawn('npm', ['run', '--silent', 'mock', '--', `--rest-port=${restPort}`, `--sse-port=${ssePort}`], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
  detached: true,
});
let banner = '';
child.stdout.on('data', (chunk: Buffer) => (banner += chunk.toString()));
child.stderr.on('data', (chunk: Buffer) => (banner += chunk.toString()));
const exited = new Promise<number | null>((done) => child.once('exit', done));

afterAll(async () => {
  if (child.pid !== undefined && child.exitCode === null) process.kill(-child.pid, 'SIGTERM');
  await exited;
});

it('prints URLs that answer, and the settings that point the dashboard at them', async () => {
  await expect.poll(() => banner, { timeout: 60_000, interval: 100 }).toContain('Ctrl-C to stop.');
  const rest = `http://127.0.0.1:${restPort}`;
  const sse = `http://127.0.0.1:${ssePort}`;

  expect(banner).toContain(`  dashboard  ${sse}/  `);
  // No VAR=value for anyone to copy: the dashboard URL is all a frontend developer needs.
  expect([...banner.matchAll(/(?<![\w-])[A-Z][A-Z0-9_]*=\S+/g)]).toEqual([]);
  const page = await fetch(`${sse}/`);
  expect(page.status).toBe(200);
  expect(await page.text()).toContain('data-testid="connection-status"');
  const configJs = await (await fetch(`${sse}/config.js`)).text();
  expect(configJs).toContain(rest);
  expect(configJs).toContain(sse);

  const metrics = await createApiClient(() => rest).request('/api/v2/metrics');
  expect(metrics.status).toBe(200);
  const stream = await openStream(`${sse}/api/v2/stream`);
  try {
    expect(stream.status).toBe(200);
    await stream.waitFor((events) => events.some((event) => event.event === 'metrics'));
    expect(stream.violations).toEqual([]);
  } finally {
    stream.close();
  }
});

it("serves each listed configuration's stream with its own tickers, and plays the edges it names", async () => {
  await expect.poll(() => banner, { timeout: 60_000, interval: 100 }).toContain('Ctrl-C to stop.');
  const rest = `http://127.0.0.1:${restPort}`;
  const sse = `http://127.0.0.1:${ssePort}`;
  expect(banner).toContain(`configurations: those GET ${rest}/api/v2/configurations lists`);
  expect(banner).toContain('Prefer: scenario=reconnect|stream_closed|degraded, or ?__scenario=');

  const listed = await createApiClient(() => rest).request('/api/v2/configurations', {
    headers: { 'x-user-id': 'mock-user' },
  });
  expect(listed.status).toBe(200);
  const { configurations } = listed.body as { configurations: { config_id: string; tickers: string[] }[] };
  expect(configurations.length).toBeGreaterThan(0);
  for (const configuration of configurations) {
    const stream = await openStream(`${sse}/api/v2/configurations/${configuration.config_id}/stream?token=t`, {
      channel: 'configurationStream',
    });
    try {
      expect(stream.status).toBe(200);
      await stream.waitFor((events) => events.some((event) => event.event === 'new_item'), 15_000);
      const tickers = stream.events.flatMap((event) => (event.event === 'new_item' ? [event.data.ticker] : []));
      expect(tickers.filter((ticker) => !configuration.tickers.includes(ticker))).toEqual([]);
      expect(stream.violations).toEqual([]);
    } finally {
      stream.close();
    }
  }

  const degraded = await openStream(`${sse}/api/v2/stream?__scenario=degraded`);
  try {
    await degraded.waitFor((events) => events.some((event) => event.event === 'heartbeat'));
    expect(degraded.events.map((event) => event.event)).toEqual(['stream_open', 'heartbeat']);
    expect(degraded.events[1]?.data).toMatchObject({ status: 'degraded' });
  } finally {
    degraded.close();
  }
}, 60_000);
