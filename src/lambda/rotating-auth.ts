/**
 * Authentication whose secrets may change while an execution environment lives. Nothing captures
 * a secret at cold start: every request asks the secret cache (src/runtime/parameters.ts) for
 * the current values, and the authenticator and stream tokens are rebuilt the first time they
 * differ. So a rotated ingest key, JWT secret or stream-token secret is used, and the old one
 * refused, at most the cache's max age after the rotation.
 */
import type { StreamTokens } from '../auth/index.ts';
import { type Config, loadConfig, type Profile } from '../config.ts';
import type { RequestAuth } from '../http/authenticate.ts';
import type { Logger } from '../observability/logger.ts';
import { authFromConfig, type ConfiguredAuth } from '../runtime/auth-from-config.ts';
import { resolveSecrets } from '../runtime/secrets.ts';
import { SECRET_VARIABLES, type SecretSource, type SecretValues } from './secrets.ts';

interface RotatingAuth extends ConfiguredAuth {
  /**
   * Brings the secrets up to date (from the cache; SSM once the max age has passed). Call it once
   * per invocation before the request is handled: `auth.ingestApiKey` is read synchronously.
   */
  readonly refresh: () => Promise<void>;
}

interface RotatingAuthOptions {
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly profile: Profile;
  /** What the cold start read, and the configuration it built from those values. */
  readonly initial: { readonly values: SecretValues; readonly config: Config };
  /** Where the current values come from; `undefined` when no secret lives in SSM (they never change). */
  readonly source: SecretSource | undefined;
  readonly logger: Logger;
  readonly now: () => number;
}

const NO_VALUE = '';

function rotatingAuth(options: RotatingAuthOptions): RotatingAuth {
  const { env, profile, logger, source } = options;
  const build = (config: Config): ConfiguredAuth => authFromConfig(config, resolveSecrets(config), options.now);
  let active = { values: options.initial.values, configured: build(options.initial.config) };
  // A refused set of values is logged once, not on every request until the next rotation.
  let refused: SecretValues | undefined;

  const changedIn = (values: SecretValues, than: SecretValues): string[] =>
    SECRET_VARIABLES.filter((variable) => (values[variable] ?? NO_VALUE) !== (than[variable] ?? NO_VALUE));

  /** The authentication for these values: rebuilt when one changed, after the checks of a cold start. */
  function adopt(values: SecretValues): ConfiguredAuth {
    const changed = changedIn(values, active.values);
    if (changed.length === 0 || (refused !== undefined && changedIn(values, refused).length === 0)) {
      return active.configured;
    }
    try {
      // The cold start's rules (lengths, the rules across settings): a rotated secret too short to
      // be safe is refused, and the previous one stays in use. ConfigError never echoes a secret.
      const config = loadConfig({ ...env, ...values }, profile);
      active = { values, configured: build(config) };
      refused = undefined;
      logger.info('rotated secrets in use', { changed });
    } catch (error) {
      refused = values;
      logger.error('rotated secrets refused; the previous values stay in use', { changed, error });
    }
    return active.configured;
  }

  const current = async (): Promise<ConfiguredAuth> =>
    source === undefined ? active.configured : adopt(await source.current());

  const auth: RequestAuth = {
    authenticator: { authenticate: async (headers) => (await current()).auth.authenticator.authenticate(headers) },
    // Synchronous in the contract of RequestAuth: as fresh as the last refresh (one per invocation).
    get ingestApiKey() {
      return active.configured.auth.ingestApiKey;
    },
  };
  const streamTokens: StreamTokens = {
    issue: async (userId, configId) => (await current()).streamTokens.issue(userId, configId),
    verify: async (token, configId) => (await current()).streamTokens.verify(token, configId),
  };
  return {
    auth,
    streamTokens,
    refresh: async () => {
      await current();
    },
  };
}

export type { RotatingAuth, RotatingAuthOptions };
export { rotatingAuth };
