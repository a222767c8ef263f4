/**
 * The configuration's public face: every environment variable, validated once and frozen. The
 * parts live in src/config/: the rules (`parsers.ts`), the table of settings (`settings.ts`),
 * loading with the cross-field rules (`load.ts`) and the descriptions for logs and usage
 * (`describe.ts`). Code outside src/config/ imports from here.
 */
export type { SettingDescription } from './config/describe.ts';
export { describeConfig, describeSettings, envExample } from './config/describe.ts';
export { ConfigError, loadConfig } from './config/load.ts';
export type { LogLevel } from './config/parsers.ts';
export type { Config, Profile } from './config/settings.ts';
export { ENV } from './config/settings.ts';
