/**
 * `.env.example` and `LICENSE`, the files a new user looks for first: the example lists every
 * setting with its default and meaning, and is exactly what the settings table renders, so it
 * cannot drift; the license text is the one package.json names.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeSettings, ENV, envExample } from '../../src/config.ts';

const root = resolve(import.meta.dirname, '../..');
const read = (name: string) => readFileSync(resolve(root, name), 'utf8');

describe('.env.example', () => {
  it('is what the settings table renders (regenerate: npx tsx scripts/env-example.ts > .env.example)', () => {
    expect(read('.env.example')).toBe(envExample());
  });

  it('names every variable once, commented out, with its default and what it accepts', () => {
    const text = read('.env.example');
    for (const name of Object.values(ENV)) {
      expect(text.match(new RegExp(`^# ${name}=`, 'gm')), name).toHaveLength(1);
    }
    for (const setting of describeSettings()) {
      const block =
        text
          .slice(0, text.indexOf(`# ${setting.name}=`))
          .split('\n\n')
          .at(-1) ?? '';
      const prose = block.replaceAll('\n# ', ' ');
      expect(prose, setting.name).toContain(`Default: ${setting.default}.`);
      expect(prose, setting.name).toContain(`Accepts: ${setting.accepts}.`);
    }
  });
});

describe('LICENSE', () => {
  it('is the license package.json names', () => {
    const { license } = JSON.parse(read('package.json')) as { license: string };
    expect(license).toBe('MIT');
    expect(read('LICENSE')).toMatch(/^MIT License\n\nCopyright \(c\) \d{4} /);
  });
});
