/**
 * Logs: Powertools Logger, the same one the Lambda handlers use, so local and production log
 * lines have one shape: JSON objects, one per line, for pipes, files, containers and Lambda; short
 * text lines (text-logger.ts) for a person at a terminal.
 */
import { Logger } from '@aws-lambda-powertools/logger';
import type { LogFormat } from '../config/parsers.ts';
import { TextLogger } from './text-logger.ts';

type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** Whether `format` means text here: `auto` is text when standard output is a terminal. */
const printsText = (format: LogFormat): boolean => format === 'text' || (format === 'auto' && process.stdout.isTTY);

function createLogger(level: LogLevel, format: LogFormat = 'json', serviceName = 'tickerpulse'): Logger {
  const options = { serviceName, logLevel: level.toUpperCase() as Uppercase<LogLevel> };
  return printsText(format) ? new TextLogger(options) : new Logger(options);
}

export type { Logger, LogLevel };
export { createLogger, printsText };
