/**
 * `npm start` never echoes a configured secret: not in the start-up banner, not in its logs, even
 * at debug level and after serving requests that carry the key. A generated dev key is printed,
 * because that is the only way to learn it, and it is the key the server actually takes.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';
import { createApiClient } from '../../support/api-client.ts';

const main = resolve(import.meta.dirname, '../../../src/main.ts');

const SECRETS = {
  INGEST_API_KEY: 'configured-ingest-key-7f3a9c41d2',
  AUTH_JWT_SECRET: 'configured-jwt-secret-0123456789-abcdefghij',
  STREAM_TOKEN_SECRET: 'configured-stream-secret-0123456789-abcdefg',
};

interface Started {
  readonly child: ChildProcess;
  readonly url: string;
  output(): string;
  /** Sends SIGTERM and resolves with the exit code once the process is gone. */
  stop(): Promise<number | null>;
}

/** Starts `src/main.ts` (it seeds a day of demo data first, hence the long test timeouts) with the given variables on top of an environment without any of ours. */
async function start(env: Record<string, string>): Promise<Started> {
  const inherited = Object.fromEntries(
    Object.entries(process.env).filter(
      ([name]) => !['INGEST_API_KEY', 'AUTH_JWT_SECRET', 'STREAM_TOKEN_SECRET'].includes(name),
    ),
  );
  const child = spawn(process.execPath, [main], {
    env: { ...inherited, PORT: '0', SIMULATE: '0', LOG_LEVEL: 'debug', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) => child.once('exit', done));
  await expect.poll(() => output, { timeout: 90_000, interval: 100 }).toContain('tickerpulse is running');
  const url = /REST API\s+(http:\/\/[^/\s]+)/.exec(output)?.[1];
  if (url === undefined) throw new Error(`no URL in the output:\n${output}`);
  return {
    child,
    url,
    output: () => output,
    stop: () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

const item = (id: string) => ({
  item_id: id,
  ticker: 'AAPL',
  sentiment: 'positive',
  score: 0.5,
  timestamp: new Date().toISOString(),
});

it('never prints a configured ingest key, JWT secret or stream-token secret, even at debug level', async () => {
  // Prepare
  const server = await start(SECRETS);
  const api = createApiClient(() => server.url);

  // Act: requests that carry the key, right and wrong.
  const accepted = await api.request('/api/v2/items', {
    method: 'POST',
    headers: { 'x-api-key': SECRETS.INGEST_API_KEY },
    json: { items: [item(`secret-test-${process.pid}`)] },
  });
  const refused = await api.request('/api/v2/items', {
    method: 'POST',
    headers: { 'x-api-key': `${SECRETS.INGEST_API_KEY}-wrong` },
    json: { items: [item(`secret-test-${process.pid}-2`)] },
  });
  const code = await server.stop();

  // Assess
  expect(accepted.status).toBe(200);
  expect(refused.status).toBe(401);
  expect(code).toBe(0);
  const output = server.output();
  for (const secret of Object.values(SECRETS)) expect(output).not.toContain(secret);
  expect(output).toContain('ingest key      (set by INGEST_API_KEY; not shown)');
  // The debug request log ran, so there were logs to leak into.
  expect(output).toMatch(/"message":"request"/);
}, 120_000);

it('prints a generated ingest key, and that key is the one the server takes', async () => {
  // Prepare: no ingest key configured; a JWT secret still is, and must stay hidden.
  const server = await start({ AUTH_JWT_SECRET: SECRETS.AUTH_JWT_SECRET });
  const api = createApiClient(() => server.url);
  const printed = /ingest key {6}(\S+) {3}\(generated; set INGEST_API_KEY to choose one\)/.exec(server.output())?.[1];

  // Act
  const accepted = await api.request('/api/v2/items', {
    method: 'POST',
    headers: { 'x-api-key': printed ?? 'none printed' },
    json: { items: [item(`generated-key-${process.pid}`)] },
  });
  const code = await server.stop();

  // Assess
  expect(printed).toMatch(/^dev-[A-Za-z0-9_-]{24}$/);
  expect(accepted.status).toBe(200);
  expect(code).toBe(0);
  expect(server.output()).not.toContain(SECRETS.AUTH_JWT_SECRET);
}, 120_000);
