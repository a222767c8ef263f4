/** The problem type registry: every kind makes a contract-valid problem, and types are unique. */
import { expect, it } from 'vitest';
import { checkProblem } from '../../../src/contract/index.ts';
import { PROBLEM_TYPES } from '../../../src/http/problem-types.ts';

const kinds = Object.values(PROBLEM_TYPES);

it.each(kinds)('$type makes a valid problem', ({ type, title, status }) => {
  expect(checkProblem({ type, title, status, detail: 'x', instance: '/api/v2/items' }).ok).toBe(true);
  expect(status >= 400 && status <= 599).toBe(true);
});

it('spells each type once', () => {
  expect(new Set(kinds.map((kind) => kind.type)).size).toBe(kinds.length);
});
