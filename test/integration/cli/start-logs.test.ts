/**
 * How `npm start` logs as it starts: on a terminal (a pseudo-terminal made by util-linux's
 * `script`), short text lines, one per start-up phase with its time; piped (a file, a container's
 * log driver), one JSON object per line, the same phases in it; `LOG_FORMAT=json` asks for JSON on
 * a terminal too. A real process each time, stopped as soon as it is serving.
 */
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../../..');
const main = resolve(root, 'src/main.ts');
const PHASES = ['store ready', 'table ready', 'demo data ready', 'server listening'];

/** Starts `npm start`'s entry point (inside a pseudo-terminal with `tty`); its output until it serves. */
async function startOutput(env: Record<string, string>, tty: boolean): Promise<string> {
  const command = tty ? 'script' : process.execPath;
  // `script -q -e -c <command> /dev/null`: run the command on a new pseudo-terminal, log nowhere.
  const args = tty ? ['-q', '-e', '-c', `"${process.execPath}" "${main}"`, '/dev/null'] : [main];
  const child = spawn(command, args, {
    env: { ...process.env, PORT: '0', SIMULATE: '0', LOG_LEVEL: 'info', ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise((done) => child.once('exit', done));
  try {
    await expect.poll(() => output, { timeout: 30_000, interval: 100 }).toContain('tickerpulse is running');
  } finally {
    child.kill('SIGTERM');
    await exited;
  }
  // The part before the banner: the log lines. A terminal ends lines with CR LF.
  return output.slice(0, output.indexOf('tickerpulse is running')).replaceAll('\r', '');
}

const logLines = (text: string): string[] => text.split('\n').filter((line) => line.trim() !== '');

describe('npm start on a terminal', () => {
  it('shows each phase as a short line with its time', async () => {
    const lines = logLines(await startOutput({}, true));

    for (const line of lines) expect(line, line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} (INFO|WARN|ERROR|DEBUG) /);
    for (const phase of PHASES) {
      expect(
        lines.some((line) => new RegExp(`INFO  ${phase}  .*took_ms=\\d+$`).test(line)),
        phase,
      ).toBe(true);
    }
    // The whole configuration is summarised, not spelled out, on a terminal.
    expect(lines.find((line) => line.includes('starting'))).toMatch(/config=\{… \d+ keys\}/);
  }, 60_000);

  it('logs JSON when asked to with LOG_FORMAT=json', async () => {
    const lines = logLines(await startOutput({ LOG_FORMAT: 'json' }, true));
    for (const line of lines) expect(() => JSON.parse(line) as unknown, line).not.toThrow();
  }, 60_000);
});

describe('npm start piped', () => {
  it('logs one JSON object per line, the phases with their times in them', async () => {
    const lines = logLines(await startOutput({}, false));
    const records = lines.map((line) => JSON.parse(line) as { level: string; message: string; took_ms?: number });

    for (const phase of PHASES) {
      expect(records.find((record) => record.message === phase)?.took_ms, phase).toEqual(expect.any(Number));
    }
    expect(records[0]).toMatchObject({ level: 'INFO', message: 'starting' });
  }, 60_000);
});
