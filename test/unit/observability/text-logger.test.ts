/** The text log line (src/observability/text-logger.ts): one short line, whatever the fields hold. */
import { describe, expect, it } from 'vitest';
import { textLine } from '../../../src/observability/text-logger.ts';

const base = { level: 'INFO', message: 'table ready', timestamp: '2026-12-07T09:15:02.114Z', service: 'tickerpulse' };

describe('a text log line', () => {
  it('is the time, the level and the message, then the fields as key=value', () => {
    expect(textLine({ ...base, table: 'tickerpulse', created: true, took_ms: 45 })).toBe(
      '09:15:02.114 INFO  table ready  table=tickerpulse  created=true  took_ms=45',
    );
  });

  it('quotes text with spaces and shows an error as its name and message', () => {
    const error = Object.assign(new Error('connect ECONNREFUSED'), { stack: 'at x\nat y' });
    expect(textLine({ ...base, level: 'WARN', store: 'embedded dynalite, in memory', error })).toBe(
      '09:15:02.114 WARN  table ready  store="embedded dynalite, in memory"  error="Error: connect ECONNREFUSED"',
    );
  });

  it('stays one line: a large object is summarised, newlines in text are escaped', () => {
    const config = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`setting${i}`, `value-${i}`]));
    const line = textLine({ ...base, config, note: 'two\nlines', list: Array.from({ length: 50 }, (_, i) => i) });
    expect(line).toBe('09:15:02.114 INFO  table ready  config={… 30 keys}  note="two\\nlines"  list=[… 50 entries]');
    expect(line).not.toContain('\n');
  });
});
