/**
 * Start-up phases reported as they finish, each with what it did and how long it took, so that a
 * person watching a start sees progress (the log line `store ready  store=… took_ms=412`) and an
 * operator reading JSON logs sees where start-up time goes.
 */
import type { Logger } from '../observability/logger.ts';

/** Runs one phase; logs `name` with the fields `describe` makes of its result and its duration. */
type Phase = <T>(name: string, run: () => Promise<T>, describe?: (result: T) => Record<string, unknown>) => Promise<T>;

function phaseLogger(logger: Logger | undefined): Phase {
  return async (name, run, describe) => {
    const started = performance.now();
    const result = await run();
    logger?.info(name, { ...describe?.(result), took_ms: Math.round(performance.now() - started) });
    return result;
  };
}

export type { Phase };
export { phaseLogger };
