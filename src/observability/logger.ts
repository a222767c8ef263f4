/**
 * Structured JSON logs: Powertools Logger, the same one the Lambda handlers use, so local and
 * production log lines have one shape.
 */
import { Logger } from '@aws-lambda-powertools/logger';

type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

function createLogger(level: LogLevel, serviceName = 'tickerpulse'): Logger {
  return new Logger({ serviceName, logLevel: level.toUpperCase() as Uppercase<LogLevel> });
}

export type { Logger, LogLevel };
export { createLogger };
