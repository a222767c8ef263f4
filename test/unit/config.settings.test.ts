/**
 * The settings as `npm start -- --help` shows them (describeSettings) against what loadConfig
 * actually does: every variable it reads is described, each documented default is the value an
 * empty environment gives, and each documented "accepts" covers what a refusal asks for.
 */
import { describe, expect, it } from 'vitest';
import { ConfigError, describeSettings, ENV, loadConfig } from '../../src/config.ts';

const settings = describeSettings();

/** The `expected …` part of the problem loadConfig reports for `name=value`, or undefined if accepted. */
function expectation(name: string, value: string): string | undefined {
  try {
    loadConfig({ [name]: value });
    return undefined;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problem = error.problems.find((line) => line.startsWith(name));
    return problem === undefined ? undefined : /is not valid: expected (.*)$/.exec(problem)?.[1];
  }
}

describe('describeSettings', () => {
  it('describes every variable loadConfig reads, once each', () => {
    expect(settings.map((setting) => setting.name).sort()).toEqual(Object.values(ENV).sort());
  });

  it('gives each documented default as the value an empty environment gives (local profile)', () => {
    const config = loadConfig({});
    for (const setting of settings) {
      const value = config[setting.field];
      // These two depend on the profile; each has its own test below.
      if (setting.name === ENV.AUTH_TRUST_USER_ID_HEADER || setting.name === ENV.CORS_ALLOWED_ORIGINS) continue;
      if (value === undefined) expect(setting.default, setting.name).toMatch(/^none\b/);
      else expect(setting.default, setting.name).toBe(String(value));
    }
  });

  it('says which profile trusts X-User-ID by default, as loadConfig does', () => {
    const trust = settings.find((setting) => setting.name === ENV.AUTH_TRUST_USER_ID_HEADER);
    const required = { INGEST_API_KEY: 'k'.repeat(16), AUTH_JWT_SECRET: 's'.repeat(32) };
    expect(loadConfig({}).authTrustUserIdHeader).toBe(true);
    expect(loadConfig(required, 'server').authTrustUserIdHeader).toBe(false);
    expect(loadConfig(required, 'lambda').authTrustUserIdHeader).toBe(false);
    expect(trust?.default).toBe('true locally (npm start), false for npm run serve and in Lambda');
  });

  it('says which origins each profile allows by default, as loadConfig does', () => {
    const cors = settings.find((setting) => setting.name === ENV.CORS_ALLOWED_ORIGINS);
    const required = { INGEST_API_KEY: 'k'.repeat(16), AUTH_JWT_SECRET: 's'.repeat(32) };
    const local = loadConfig({}).corsAllowedOrigins;
    expect(local).toEqual(['http://localhost:*', 'http://127.0.0.1:*', 'http://[::1]:*']);
    expect(loadConfig(required, 'server').corsAllowedOrigins).toEqual([]);
    expect(cors?.default).toBe(
      'npm start: any port of http://localhost, http://127.0.0.1 and http://[::1]; npm run serve: none',
    );
  });

  // Values that break at least one rule of every setting except free text.
  const BAD = ['a', 'a b', '/x\0y', 'ftp://x', 'http://u:p@x/', 'ключ-ключ-ключ-ключ-ключ-ключ-ключ'];

  it.each(settings.map((setting) => [setting.name, setting] as const))(
    '%s: the documented "accepts" names what each refusal asks for',
    (name, setting) => {
      const asked = BAD.map((value) => expectation(name, value)).filter((text) => text !== undefined);
      if (setting.accepts === 'any text') {
        expect(asked).toEqual([]);
        return;
      }
      expect(asked.length).toBeGreaterThan(0);
      for (const text of asked) {
        // A credential in a URL is refused without the value; a secret's length is reported.
        const rule = text
          .replace(/ \(got \d+\)$/, '')
          .replace('a URL without a user name or password (the value is not shown)', 'no user name or password');
        expect(setting.accepts).toContain(rule);
      }
    },
  );

  it('has a summary and a default for every setting', () => {
    for (const setting of settings) {
      expect(setting.summary, setting.name).toMatch(/\S.*\.$/);
      expect(setting.default, setting.name).not.toBe('');
    }
  });
});
