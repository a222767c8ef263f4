/** Authentication built from configuration: the same for the local server and both Lambdas. */
import { createAuthenticator, createStreamTokens, type StreamTokens } from '../auth/index.ts';
import type { RequestAuth } from '../http/authenticate.ts';
import type { Config } from '../config.ts';
import type { RuntimeSecrets } from './secrets.ts';

interface ConfiguredAuth {
  readonly auth: RequestAuth;
  readonly streamTokens: StreamTokens;
}

function authFromConfig(config: Config, secrets: RuntimeSecrets, now: () => number): ConfiguredAuth {
  const authenticator = createAuthenticator({
    jwtSecret: config.authJwtSecret,
    jwksUrl: config.authJwksUrl,
    issuer: config.authJwtIssuer,
    audience: config.authJwtAudience,
    trustUserIdHeader: config.authTrustUserIdHeader,
    now,
  });
  const streamTokens = createStreamTokens({
    secret: secrets.streamTokenSecret,
    ttlSeconds: config.streamTokenTtlS,
    now,
  });
  return { auth: { authenticator, ingestApiKey: secrets.ingestApiKey }, streamTokens };
}

export type { ConfiguredAuth };
export { authFromConfig };
