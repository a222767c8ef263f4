/**
 * Configuration, read once from the environment at start-up, validated and deep-frozen. The rest
 * of src/ receives a typed `Config` and never reads `process.env`, so every setting has one name,
 * one rule and one default, and a bad deployment fails at start-up with every problem listed at
 * once instead of one per restart.
 */
import { quote } from './parsers.ts';
import { type Config, ENV, type EnvName, FIELDS, type Profile, type Setting, SETTINGS } from './settings.ts';

/**
 * Thrown by `loadConfig` with every problem found, one message per bad variable or broken rule.
 * The message starts with a line `Invalid configuration:` and has one line per problem.
 */
class ConfigError extends Error {
  override readonly name = 'ConfigError';
  /** One message per bad variable or broken cross-field rule, in a stable order. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(['Invalid configuration:', ...problems].join('\n'));
    this.problems = Object.freeze([...problems]);
  }
}

type Environment = Readonly<Record<string, string | undefined>>;

/** A variable's value as every setting reads it: trimmed, and blank counts as unset. */
function valueIn(env: Environment, name: EnvName): string | undefined {
  const value = env[name]?.trim();
  return value === '' ? undefined : value;
}

// No setting's value is a function, so a function is always the profile-dependent form.
function fallbackOf<T>(setting: Setting<T>, profile: Profile): T {
  const { fallback } = setting;
  return typeof fallback === 'function' ? (fallback as (profile: Profile) => T)(profile) : fallback;
}

/** How the requirements of each shared profile name it, and why stream tokens need a fixed secret there. */
const SHARED_PROFILES: Readonly<Record<Exclude<Profile, 'local'>, { readonly name: string; readonly tokens: string }>> =
  {
    server: { name: 'npm run serve', tokens: 'is required for npm run serve (stream tokens cross processes)' },
    lambda: { name: 'the lambda profile', tokens: 'is required in Lambda (stream tokens cross functions)' },
    'lambda-stream': { name: 'the lambda profile', tokens: 'is required in Lambda (stream tokens cross functions)' },
  };

/**
 * The rules across settings. They look at what is set, not at what is valid: a too-short secret
 * is one problem ("too short"), not two ("too short" and "missing").
 */
function crossFieldProblems(env: Environment, config: Config, profile: Profile): string[] {
  const problems: string[] = [];
  const jwtSecretSet = valueIn(env, ENV.AUTH_JWT_SECRET) !== undefined;
  const jwksUrlSet = valueIn(env, ENV.AUTH_JWKS_URL) !== undefined;
  if (jwtSecretSet && jwksUrlSet) {
    problems.push(`set one of ${ENV.AUTH_JWT_SECRET} or ${ENV.AUTH_JWKS_URL}, not both`);
  }
  if (profile === 'local') return problems;
  const shared = SHARED_PROFILES[profile];
  if (!jwtSecretSet && !jwksUrlSet && !config.authTrustUserIdHeader) {
    problems.push(
      `${ENV.AUTH_JWT_SECRET} or ${ENV.AUTH_JWKS_URL} is required for ${shared.name}, unless ${ENV.AUTH_TRUST_USER_ID_HEADER} is true`,
    );
  }
  // A key generated per process would differ between the processes of one deployment.
  if (profile !== 'lambda-stream' && valueIn(env, ENV.INGEST_API_KEY) === undefined) {
    problems.push(`${ENV.INGEST_API_KEY} is required for ${shared.name}`);
  }
  // One process (or function) mints stream tokens and another checks them: a per-process random
  // secret (the local fallback) would make every token invalid.
  if (valueIn(env, ENV.STREAM_TOKEN_SECRET) === undefined && !jwtSecretSet) {
    problems.push(`${ENV.STREAM_TOKEN_SECRET} or ${ENV.AUTH_JWT_SECRET} ${shared.tokens}`);
  }
  return problems;
}

/**
 * Reads, validates and deep-freezes the configuration. Empty and whitespace-only values count as
 * unset; values are trimmed. `profile` defaults to `local`.
 *
 * @throws ConfigError listing every bad variable and every broken cross-field rule.
 */
function loadConfig(env: Environment, profile: Profile = 'local'): Config {
  const problems: string[] = [];
  const read = <T>(setting: Setting<T>): NonNullable<T> | undefined => {
    const value = valueIn(env, setting.env);
    if (value === undefined) return undefined;
    const check = setting.parser.check(value);
    if (check.ok) return check.value;
    const echo = setting.secret === true || check.redact ? '' : `=${quote(value)}`;
    problems.push(`${setting.env}${echo} is not valid: expected ${check.expected}`);
    return undefined;
  };
  const settle = <K extends keyof Config>(field: K): Config[K] => {
    const setting: Setting<Config[K]> = SETTINGS[field];
    if (setting.profiles !== undefined && !setting.profiles.includes(profile)) return fallbackOf(setting, profile);
    return read(setting) ?? fallbackOf(setting, profile);
  };

  // The table's order is the order of the problems.
  const config = Object.fromEntries(FIELDS.map((field) => [field, settle(field)])) as Config;
  problems.push(...crossFieldProblems(env, config, profile));
  if (problems.length > 0) throw new ConfigError(problems);
  return deepFreeze(config);
}

// Config is flat today; freezing deeply keeps it immutable if a nested setting is ever added.
function deepFreeze<T extends object>(value: T): T {
  for (const property of Object.values(value as Record<string, unknown>)) {
    if (typeof property === 'object' && property !== null) deepFreeze(property);
  }
  return Object.freeze(value);
}

export { ConfigError, loadConfig };
