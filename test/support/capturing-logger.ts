/**
 * The service's real logger (Powertools, same options as createLogger) with one change: each log
 * line is kept, parsed back from the JSON it would have printed, instead of going to stdout.
 * Tests read what an operator would read.
 */
import { Logger, type LogItem } from '@aws-lambda-powertools/logger';

type LogLine = Record<string, unknown> & { readonly level: string; readonly message: string };

class CapturingLogger extends Logger {
  readonly lines: LogLine[] = [];

  protected override printLog(_logLevel: number, log: LogItem): void {
    log.prepareForPrint();
    this.lines.push(JSON.parse(JSON.stringify(log.getAttributes(), this.getJsonReplacer())) as LogLine);
  }
}

/** A logger at `level` (`debug` by default) whose lines land in `.lines`. */
function capturingLogger(level: 'DEBUG' | 'INFO' | 'WARN' = 'DEBUG'): CapturingLogger {
  return new CapturingLogger({ serviceName: 'tickerpulse', logLevel: level });
}

export type { CapturingLogger, LogLine };
export { capturingLogger };
