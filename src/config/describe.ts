/**
 * The settings described for people: a start-up log line without secrets (`describeConfig`), and
 * every variable with its meaning, default and accepted values for the usage (`describeSettings`)
 * and for `.env.example` (`envExample`).
 */
import { type Config, type EnvName, FIELDS, SECRET_FIELDS, type Setting, SETTINGS } from './settings.ts';

const isList = (value: unknown): value is readonly string[] => Array.isArray(value);

/**
 * The settings for a start-up log line, keyed by `Config` field: unset values are null and every
 * secret is `(set)` or null, so the result never holds a secret value.
 */
function describeConfig(config: Config): Record<string, string | number | boolean | null> {
  const described: Record<string, string | number | boolean | null> = {};
  for (const [field, value] of Object.entries(config)) {
    const shown = isList(value) ? value.join(',') : value;
    described[field] = SECRET_FIELDS.has(field) ? (shown === undefined ? null : '(set)') : (shown ?? null);
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
    const setting: Setting<string | number | boolean | readonly string[] | undefined> = SETTINGS[field];
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

/** A comment of `text`, wrapped at 100 characters. */
function commentLines(text: string): string[] {
  const lines: string[] = [];
  let line = '#';
  for (const word of text.split(/\s+/)) {
    if (line.length + word.length + 1 > 100 && line !== '#') {
      lines.push(line);
      line = '#';
    }
    line += ` ${word}`;
  }
  lines.push(line);
  return lines;
}

/**
 * `.env.example`: every variable, commented out, with its meaning, default and accepted values,
 * from the same table `loadConfig` validates with (a test keeps the file equal to this).
 */
function envExample(): string {
  const header = [
    '# Every setting of tickerpulse, all optional for `npm start`. tickerpulse reads its environment only:',
    '# copy this to .env, uncomment what you change, and load it, e.g. `node --env-file=.env src/main.ts`',
    '# or `set -a; . ./.env; set +a` before `npm start`. Generated from the settings table',
    '# (src/config/settings.ts) by `npx tsx scripts/env-example.ts > .env.example`; do not edit by hand.',
  ];
  const blocks = describeSettings().map((setting) => {
    const literal = /^(none|true locally)/.test(setting.default) ? '' : setting.default;
    return [
      ...commentLines(`${setting.summary} Default: ${setting.default}. Accepts: ${setting.accepts}.`),
      `# ${setting.name}=${literal}`,
    ].join('\n');
  });
  return `${[header.join('\n'), ...blocks].join('\n\n')}\n`;
}

export type { SettingDescription };
export { describeConfig, describeSettings, envExample };
