/**
 * Log lines for a person at a terminal: `09:15:02.114 INFO  store ready  took_ms=412`, one short
 * line each, instead of one JSON object. The same Powertools Logger underneath (levels, the same
 * calls everywhere); only how a line is printed differs, so pipes, files and containers keep
 * getting JSON (logger.ts decides which).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogItem } from '@aws-lambda-powertools/logger';

/** Attributes every line has, shown by the line's layout rather than as key=value. */
const LAYOUT_KEYS: ReadonlySet<string> = new Set(['level', 'message', 'timestamp', 'service', 'sampling_rate']);

/** A value longer than this is summarised, so that one line stays one line. */
const MAX_VALUE = 120;

/** A value as `key=value` shows it: strings bare (quoted when they hold spaces), errors as their message. */
function shown(value: unknown): string {
  if (typeof value === 'string') return /\s/.test(value) ? JSON.stringify(value) : value;
  if (typeof value !== 'object' || value === null) return String(value);
  if ('message' in value && typeof value.message === 'string') {
    const name = 'name' in value && typeof value.name === 'string' ? `${value.name}: ` : '';
    return JSON.stringify(`${name}${value.message}`);
  }
  const text = JSON.stringify(value);
  if (text.length <= MAX_VALUE) return text;
  return Array.isArray(value) ? `[… ${value.length} entries]` : `{… ${Object.keys(value).length} keys}`;
}

/** `09:15:02.114` of an ISO timestamp. */
const clockOf = (timestamp: unknown): string =>
  typeof timestamp === 'string' && timestamp.length >= 23 ? timestamp.slice(11, 23) : String(timestamp);

/** One line of a log item's attributes. */
function textLine(attributes: Readonly<Record<string, unknown>>): string {
  const level = typeof attributes.level === 'string' ? attributes.level : '';
  const fields = Object.entries(attributes)
    .filter(([key, value]) => !LAYOUT_KEYS.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${shown(value)}`);
  const message = typeof attributes.message === 'string' ? attributes.message : '';
  return [`${clockOf(attributes.timestamp)} ${level.padEnd(5)} ${message}`, ...fields].join('  ');
}

class TextLogger extends Logger {
  protected override printLog(logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    const line = textLine(log.getAttributes());
    // Warnings and errors to stderr, as Powertools' console does; the rest to stdout.
    if (logLevel >= 16) process.stderr.write(`${line}\n`);
    else process.stdout.write(`${line}\n`);
  }
}

export { TextLogger, textLine };
