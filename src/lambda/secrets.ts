/**
 * Where the Lambda secrets come from: SSM Parameter Store (SecureString), never the template. The
 * stack passes parameter *names* (`<SECRET>_PARAMETER`); the values are read through the cache of
 * src/runtime/parameters.ts, so a rotated secret takes effect within the max age, without a
 * redeploy (docs/aws.md, "Rotating a secret").
 */
import { SSMClient } from '@aws-sdk/client-ssm';
import { createParameterCache, SECRET_MAX_AGE_SECONDS } from '../runtime/parameters.ts';

const SECRET_VARIABLES = ['INGEST_API_KEY', 'AUTH_JWT_SECRET', 'STREAM_TOKEN_SECRET'] as const;

type SecretVariable = (typeof SECRET_VARIABLES)[number];

/** The values of the secrets that live in SSM (the others are absent). */
type SecretValues = Readonly<Partial<Record<SecretVariable, string>>>;

/** Reads the secrets as of now; see ParameterCache.current in src/runtime/parameters.ts. */
interface SecretSource {
  readonly current: () => Promise<SecretValues>;
}

/**
 * Powertools' own variable for the cache's max age (seconds). Set by the stack; unset means
 * {@link SECRET_MAX_AGE_SECONDS}, not Powertools' 5 s default.
 */
const MAX_AGE_VARIABLE = 'POWERTOOLS_PARAMETERS_MAX_AGE';

/**
 * SSM is normally answered in milliseconds; during an outage a request should not hang for the
 * SDK's defaults. Two attempts bounded by these timeouts cost at most a few seconds, once per
 * pause (SECRET_RETRY_AFTER_FAILURE_MS), while the last value keeps being served.
 */
const SSM_CLIENT_TIMEOUTS = Object.freeze({ connectionTimeout: 1000, requestTimeout: 2000, maxAttempts: 2 });

type Environment = Readonly<Record<string, string | undefined>>;

const isSet = (value: string | undefined): value is string => value !== undefined && value.trim() !== '';

/** The SSM names of the secrets to read: `<SECRET>_PARAMETER` set, and no value given directly. */
function secretParameterNames(env: Environment): Partial<Record<SecretVariable, string>> {
  const names: Partial<Record<SecretVariable, string>> = {};
  for (const variable of SECRET_VARIABLES) {
    const name = env[`${variable}_PARAMETER`];
    if (isSet(name) && !isSet(env[variable])) names[variable] = name.trim();
  }
  return names;
}

/** The cache's max age from {@link MAX_AGE_VARIABLE}: whole seconds ≥ 1, default {@link SECRET_MAX_AGE_SECONDS}. */
function secretMaxAgeSeconds(env: Environment): number {
  const text = env[MAX_AGE_VARIABLE]?.trim();
  if (text === undefined || text === '') return SECRET_MAX_AGE_SECONDS;
  if (!/^[1-9]\d{0,5}$/.test(text)) {
    throw new Error(
      `${MAX_AGE_VARIABLE} must be a whole number of seconds from 1 to 999999 (got ${JSON.stringify(text)})`,
    );
  }
  return Number(text);
}

/**
 * The secrets of `env` that live in SSM, behind one cache; `undefined` when none does. The client
 * takes region, credentials and endpoint from the SDK's standard chain (AWS_ENDPOINT_URL_SSM
 * included, which the tests point at a loopback stand-in).
 */
function secretParameters(
  env: Environment,
  onStale: (variable: SecretVariable, error: unknown) => void,
): { readonly source: SecretSource; readonly client: SSMClient } | undefined {
  const names = secretParameterNames(env);
  if (Object.keys(names).length === 0) return undefined;
  const { connectionTimeout, requestTimeout, maxAttempts } = SSM_CLIENT_TIMEOUTS;
  const client = new SSMClient({ maxAttempts, requestHandler: { connectionTimeout, requestTimeout } });
  // Typed as if every variable had a parameter; the cache holds exactly those of `names`.
  const source = createParameterCache({
    names: names as Record<SecretVariable, string>,
    maxAgeSeconds: secretMaxAgeSeconds(env),
    client,
    onStale,
  });
  return { source, client };
}

export type { SecretSource, SecretValues, SecretVariable };
export { MAX_AGE_VARIABLE, SECRET_VARIABLES, secretMaxAgeSeconds, secretParameterNames, secretParameters };
