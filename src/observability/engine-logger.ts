/**
 * The service logger as the stream engine's logger port. The engine logs every stream opened and
 * closed at info; it asks `infoEnabled` first, so below the level those lines are never built (a
 * line's client id can cost a system call, and at 10,000 connects that shows in the connect
 * time). Below the level, `info` drops a line here too: Powertools reads the environment on every
 * call, even one it drops, and so does its `level` getter, hence read once (no host changes the
 * level of a running engine).
 */
import { LogLevelThreshold } from '@aws-lambda-powertools/logger';
import type { EngineLogger } from '../stream/ports.ts';
import type { Logger } from './logger.ts';

function engineLogger(logger: Logger): EngineLogger {
  const infoEnabled = logger.level <= LogLevelThreshold.INFO;
  return {
    infoEnabled,
    info: (message, ...fields) => {
      if (infoEnabled) logger.info(message, ...fields);
    },
    warn: (message, ...fields) => {
      logger.warn(message, ...fields);
    },
    error: (message, ...fields) => {
      logger.error(message, ...fields);
    },
  };
}

export { engineLogger };
