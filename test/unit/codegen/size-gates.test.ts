import { describe, expect, it } from 'vitest';
import { gateSchema, gateSchemaMap } from '../../../scripts/codegen/size-gates.ts';

describe('gateSchema', () => {
  it('puts a pattern and a format behind maxLength', () => {
    expect(gateSchema({ type: 'string', maxLength: 10, pattern: '^a+$', format: 'uuid' }, 'x')).toEqual({
      type: 'string',
      maxLength: 10,
      if: { maxLength: 10 },
      then: { pattern: '^a+$', format: 'uuid' },
    });
  });

  it('puts items and uniqueItems behind maxItems, and gates nested schemas too', () => {
    const gated = gateSchema(
      {
        type: 'array',
        maxItems: 3,
        uniqueItems: true,
        items: { type: 'string', maxLength: 5, pattern: '^b$' },
      },
      'x',
    );
    expect(gated).toEqual({
      type: 'array',
      maxItems: 3,
      if: { maxItems: 3 },
      then: {
        uniqueItems: true,
        items: { type: 'string', maxLength: 5, if: { maxLength: 5 }, then: { pattern: '^b$' } },
      },
    });
  });

  it('leaves a property named like a keyword alone', () => {
    const schema = {
      type: 'object',
      properties: { pattern: { type: 'string' }, items: { type: 'integer' } },
    };
    expect(gateSchemaMap({ Thing: schema }, 'x')).toEqual({ Thing: schema });
  });

  it.each([
    ['a pattern without maxLength', { type: 'string', pattern: '^a$' }, /pattern needs a maxLength/],
    ['an array without maxItems', { type: 'array', items: { type: 'string' } }, /array needs maxItems/],
    [
      'a nested array without maxItems',
      { type: 'object', properties: { list: { type: 'array', uniqueItems: true } } },
      /x\/properties\/list: an array needs maxItems/,
    ],
    [
      'a schema that already uses if',
      { type: 'string', maxLength: 3, pattern: '^a$', if: { const: 'a' }, then: {} },
      /already uses if/,
    ],
  ])('refuses %s', (_name, schema, message) => {
    expect(() => gateSchema(schema, 'x')).toThrow(message);
  });
});
