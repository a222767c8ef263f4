/**
 * The settings described for people: a start-up log line without secrets (`describeConfig`), and
 * every variable with its meaning, default and accepted values for the usage (`describeSettings`).
 */
import { type Config, type EnvName, FIELDS, SECRET_FIELDS, type Setting, SETTINGS } from './settings.ts';

/**
 * The settings for a start-up log line, keyed by `Config` field: unset values are null and every
 * secret is `(set)` or null, so the result never holds a secret value.
 */
function describeConfig(config: Config): Record<string, string | number | boolean | null> {
  const described: Record<string, string | number | boolean | null> = {};
  for (const [field, value] of Object.entries(config)) {
    described[field] = SECRET_FIELDS.has(field) ? (value === undefined ? null : '(set)') : (value ?? null);
  }
  return described;
}

/** A setting as the usage shows it. */
type SettingDescription = {
  readonly name: EnvName;
  /** The `Config` field it sets. */
  readonly field: keyof Config;
  readonly summary: string;
  /** The default in words: the value itself, or what happens when the variable is unset. */
  readonly default: string;
  readonly accepts: string;
};

/**
 * Every setting with its variable, meaning, default and accepted values, in the table's order:
 * the same table `loadConfig` validates with, so a usage built from it cannot drift.
 */
function describeSettings(): readonly SettingDescription[] {
  return FIELDS.map((field) => {
    const setting: Setting<string | number | boolean | undefined> = SETTINGS[field];
    const { fallback } = setting;
    const shown = typeof fallback === 'function' || fallback === undefined ? undefined : String(fallback);
    return {
      name: setting.env,
      field,
      summary: setting.summary,
      default: shown ?? setting.defaultText ?? 'none',
      accepts: setting.parser.accepts,
    };
  });
}

export type { SettingDescription };
export { describeConfig, describeSettings };
