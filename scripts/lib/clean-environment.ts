/**
 * The inherited environment for a tickerpulse process a test or benchmark starts: without any
 * AWS_* variable (a developer's own credentials, region or profile must not reach a run on
 * loopback) and without any of tickerpulse's own settings, so that only what the caller sets applies.
 */
import { ENV } from '../../src/config.ts';

function cleanEnvironment(): Record<string, string> {
  const ours = new Set<string>(Object.values(ENV));
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] =>
        entry[1] !== undefined && !entry[0].startsWith('AWS_') && !ours.has(entry[0]),
    ),
  );
}

export { cleanEnvironment };
