/** Which secrets the Lambda handlers read from SSM, and the cache's max age, from their environment. */
import { describe, expect, it } from 'vitest';
import { secretMaxAgeSeconds, secretParameterNames } from '../../../src/lambda/secrets.ts';

describe('secretParameterNames', () => {
  it('reads a secret from SSM when its parameter is named and no value is given', () => {
    expect(
      secretParameterNames({
        INGEST_API_KEY_PARAMETER: ' /tp/ingest ',
        AUTH_JWT_SECRET_PARAMETER: '/tp/jwt',
        AUTH_JWT_SECRET: 'a value given directly wins over its parameter',
        STREAM_TOKEN_SECRET_PARAMETER: '/tp/stream',
        STREAM_TOKEN_SECRET: '  ',
      }),
    ).toEqual({ INGEST_API_KEY: '/tp/ingest', STREAM_TOKEN_SECRET: '/tp/stream' });
    expect(secretParameterNames({ INGEST_API_KEY_PARAMETER: '' })).toEqual({});
  });
});

describe('secretMaxAgeSeconds', () => {
  it('is POWERTOOLS_PARAMETERS_MAX_AGE in whole seconds, 300 when unset', () => {
    expect(secretMaxAgeSeconds({})).toBe(300);
    expect(secretMaxAgeSeconds({ POWERTOOLS_PARAMETERS_MAX_AGE: ' ' })).toBe(300);
    expect(secretMaxAgeSeconds({ POWERTOOLS_PARAMETERS_MAX_AGE: '60' })).toBe(60);
  });

  it.each(['0', '-5', '1.5', '1e3', '05', 'five', '1000000'])('refuses %j', (value) => {
    expect(() => secretMaxAgeSeconds({ POWERTOOLS_PARAMETERS_MAX_AGE: value })).toThrow(
      /POWERTOOLS_PARAMETERS_MAX_AGE/,
    );
  });
});
