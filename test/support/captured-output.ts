/**
 * What the process writes to stdout and stderr, kept instead of printed, for code that builds its
 * own logger (the Lambda handlers create Powertools loggers at cold start, writing JSON lines
 * through a Console on the real streams). Tests read the lines an operator would read in
 * CloudWatch. Undo with `restore()`.
 */
import { vi } from 'vitest';

interface CapturedOutput {
  /** Every JSON object written so far, one per line, in order; other text is skipped. */
  lines(): Record<string, unknown>[];
  /** Everything written so far, as text. */
  text(): string;
  restore(): void;
}

function captureOutput(): CapturedOutput {
  const chunks: string[] = [];
  const keep = (chunk: unknown): true => {
    chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk as Uint8Array).toString('utf8'));
    return true;
  };
  const spies = [
    vi.spyOn(process.stdout, 'write').mockImplementation(keep),
    vi.spyOn(process.stderr, 'write').mockImplementation(keep),
  ];
  return {
    lines: () =>
      chunks
        .join('')
        .split('\n')
        .flatMap((line) => {
          if (!line.startsWith('{')) return [];
          try {
            return [JSON.parse(line) as Record<string, unknown>];
          } catch {
            return [];
          }
        }),
    text: () => chunks.join(''),
    restore: () => {
      for (const spy of spies) spy.mockRestore();
    },
  };
}

export type { CapturedOutput };
export { captureOutput };
