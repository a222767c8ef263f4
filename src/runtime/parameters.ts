/**
 * Secrets from SSM Parameter Store, read through Powertools Parameters (`SSMProvider`) and kept in
 * its cache for a bounded time, so that a rotated secret takes effect without a redeploy: each
 * value is served from the cache while it is younger than the max age, then read again.
 *
 * SSM being unreachable must not take a warm function down with it: once a value has been read,
 * a failed refresh keeps serving the last value and asks SSM again only after a pause, so an
 * outage costs one slow request per pause, not every request. Only a first read (a cold start)
 * has nothing to fall back on, and fails with {@link SecretsUnavailableError}.
 */
import { SSMProvider } from '@aws-lambda-powertools/parameters/ssm';
import type { SSMClient } from '@aws-sdk/client-ssm';

/**
 * How long a value is served from the cache before SSM is asked again (seconds): the longest a
 * rotated secret waits before this process uses it. Five minutes costs one GetParameter per
 * secret per execution environment every five minutes.
 */
const SECRET_MAX_AGE_SECONDS = 300;

/**
 * After a failed refresh, how long the last value is served before SSM is asked again (ms),
 * at most the max age. Bounds how often an SSM outage slows a request down.
 */
const SECRET_RETRY_AFTER_FAILURE_MS = 30_000;

/** No value could be read for a secret that has none yet (typically a cold start while SSM is down). */
class SecretsUnavailableError extends Error {
  override readonly name = 'SecretsUnavailableError';
}

interface ParameterCacheOptions<K extends string> {
  /** Which SSM parameter (SecureString, decrypted) holds each value. */
  readonly names: Readonly<Record<K, string>>;
  /** {@link SECRET_MAX_AGE_SECONDS} unless set; whole seconds, at least 1 (Powertools' unit). */
  readonly maxAgeSeconds?: number;
  /** The client Powertools reads with: its region, endpoint, timeouts and retries apply. */
  readonly client: SSMClient;
  /** Told when a refresh failed and the last value is served instead. */
  readonly onStale?: (key: K, error: unknown) => void;
  readonly now?: () => number;
}

interface ParameterCache<K extends string> {
  /**
   * Every value as of now: from the cache while younger than the max age, else read again; a
   * failed read serves the last value.
   *
   * @throws SecretsUnavailableError when a value has never been read and cannot be read now.
   */
  readonly current: () => Promise<Readonly<Record<K, string>>>;
}

function checkedMaxAge(maxAgeSeconds: number): number {
  // Powertools caches nothing for 0 and truncates fractions of a second.
  if (!Number.isSafeInteger(maxAgeSeconds) || maxAgeSeconds < 1) {
    throw new Error(`Secret parameters: the max age must be a whole number of seconds ≥ 1 (got ${maxAgeSeconds})`);
  }
  return maxAgeSeconds;
}

function createParameterCache<K extends string>(options: ParameterCacheOptions<K>): ParameterCache<K> {
  const maxAge = checkedMaxAge(options.maxAgeSeconds ?? SECRET_MAX_AGE_SECONDS);
  const retryMs = Math.min(SECRET_RETRY_AFTER_FAILURE_MS, maxAge * 1000);
  const now = options.now ?? Date.now;
  const provider = new SSMProvider({ awsSdkV3Client: options.client });
  const keys = Object.keys(options.names) as K[];
  const last = new Map<K, string>();
  // After a failure, no SSM call for that key before this time: the last value is served.
  const pausedUntil = new Map<K, number>();

  async function read(key: K): Promise<string> {
    const known = last.get(key);
    if (known !== undefined && now() < (pausedUntil.get(key) ?? 0)) return known;
    const name = options.names[key];
    try {
      // SecureStrings come back decrypted; the cache answers without a call while the value is young.
      const value = await provider.get(name, { maxAge, decrypt: true });
      if (typeof value !== 'string' || value === '') throw new Error(`SSM parameter ${name} has no value`);
      last.set(key, value);
      pausedUntil.delete(key);
      return value;
    } catch (error) {
      if (known === undefined) {
        throw new SecretsUnavailableError(`SSM parameter ${name} cannot be read`, { cause: error });
      }
      pausedUntil.set(key, now() + retryMs);
      options.onStale?.(key, error);
      return known;
    }
  }

  // Concurrent callers share one round of reads instead of each starting its own.
  let reading: Promise<Readonly<Record<K, string>>> | undefined;
  const current = (): Promise<Readonly<Record<K, string>>> => {
    reading ??= Promise.all(keys.map(async (key) => [key, await read(key)] as const))
      .then((entries) => Object.freeze(Object.fromEntries(entries) as Record<K, string>))
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  return { current };
}

export type { ParameterCache, ParameterCacheOptions };
export { createParameterCache, SECRET_MAX_AGE_SECONDS, SECRET_RETRY_AFTER_FAILURE_MS, SecretsUnavailableError };
