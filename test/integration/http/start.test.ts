/** `npm start`'s entry point as a user runs it: a real process, its output, its signals. */
import { spawn, spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const main = resolve(root, 'src/main.ts');

it.each([
  ['PORT', 'abc', 'PORT="abc" is not valid: expected an integer from 0 to 65535'],
  ['HEARTBEAT_INTERVAL_MS', '500', 'HEARTBEAT_INTERVAL_MS="500" is not valid'],
  ['LOG_LEVEL', 'loud', 'LOG_LEVEL="loud" is not valid: expected one of debug, info, warn, error, silent'],
])('refuses to start with %s=%s and names the variable', (name, value, message) => {
  const result = spawnSync(process.execPath, [main], {
    env: { ...process.env, [name]: value },
    encoding: 'utf8',
    timeout: 20_000,
  });
  expect(result.status).toBe(2);
  expect(result.stderr).toContain(message);
});

it('prints its URLs, ingest key and dev user, serves, and exits cleanly on SIGTERM', async () => {
  const child = spawn(process.execPath, [main], {
    env: { ...process.env, PORT: '0', SIMULATE: '0', LOG_LEVEL: 'warn', INGEST_API_KEY: 'start-test-ingest-key-0001' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((done) =>
    child.once('exit', (code) => {
      done(code);
    }),
  );

  await expect.poll(() => output, { timeout: 30_000, interval: 100 }).toContain('tickerpulse is running');
  const url = /REST API\s+(http:\/\/[^/\s]+)/.exec(output)?.[1];
  const health = await fetch(`${url}/health`);
  child.kill('SIGTERM');
  const code = await exited;

  expect(health.status).toBe(200);
  expect(output).toContain('ingest key      (set by INGEST_API_KEY; not shown)');
  expect(output).not.toContain('start-test-ingest-key-0001');
  expect(output).toContain('dev user id     dev-user');
  expect(output).toContain('simulator       off (SIMULATE=0)');
  // 0, not 1: main exits with 1 when shutdown overruns its 5 s deadline.
  expect(code).toBe(0);
});
