/**
 * Secrets the local server needs even when none are configured. Generated per process: fine for
 * one local process, and printed at start so a developer can use them. A deployment configures
 * its own (the lambda profile refuses to start without them).
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';

interface RuntimeSecrets {
  readonly ingestApiKey: string;
  readonly ingestApiKeyGenerated: boolean;
  /** Signs stream tokens: STREAM_TOKEN_SECRET, else AUTH_JWT_SECRET, else a random one. */
  readonly streamTokenSecret: string;
}

const random = (bytes: number): string => randomBytes(bytes).toString('base64url');

function resolveSecrets(config: Config): RuntimeSecrets {
  return {
    ingestApiKey: config.ingestApiKey ?? `dev-${random(18)}`,
    ingestApiKeyGenerated: config.ingestApiKey === undefined,
    streamTokenSecret: config.streamTokenSecret ?? config.authJwtSecret ?? random(36),
  };
}

export type { RuntimeSecrets };
export { resolveSecrets };
