/**
 * Whatever was thrown can be logged as it is (`{ error }`, no cast): an Error keeps its name,
 * message and stack in the JSON line, anything else (a string, an object, undefined) is written
 * as its value, and no log call throws for it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../../src/observability/logger.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

/**
 * The JSON lines the logger writes while `log` runs. Powertools writes through a console of its
 * own on the process's streams, or the global one with POWERTOOLS_DEV set, which is spied on.
 */
function linesOf(log: () => void): Record<string, unknown>[] {
  vi.stubEnv('POWERTOOLS_DEV', 'true');
  const written: string[] = [];
  for (const method of ['log', 'info', 'warn', 'error', 'debug'] as const) {
    vi.spyOn(console, method).mockImplementation((line: unknown) => {
      written.push(String(line));
    });
  }
  log();
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
  return written.map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('the logger given anything thrown', () => {
  it('writes an Error as its name, message and stack', () => {
    const [line] = linesOf(() => {
      createLogger('info', 'json').error('request failed', { error: new TypeError('bad thing') });
    });
    expect(line?.error).toMatchObject({ name: 'TypeError', message: 'bad thing' });
    expect(JSON.stringify(line?.error)).toContain('logged-errors.test.ts');
  });

  it.each([
    ['a string', 'just text', 'just text'],
    ['an object', { code: 'E_WEIRD' }, { code: 'E_WEIRD' }],
    ['a number', 42, 42],
  ])('writes %s as its value', (_name, thrown: unknown, logged) => {
    const [line] = linesOf(() => {
      createLogger('info', 'json').warn('something failed', { error: thrown });
    });
    expect(line).toMatchObject({ level: 'WARN', message: 'something failed', error: logged });
  });

  it('writes a line for undefined and null too, without throwing', () => {
    const lines = linesOf(() => {
      const logger = createLogger('info', 'json');
      logger.error('first', { error: undefined });
      logger.error('second', { error: null });
    });
    expect(lines.map((line) => line.message)).toEqual(['first', 'second']);
  });
});
