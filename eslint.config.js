// ESLint flat config: typescript-eslint's type-aware rules on everything hand-written.
// Formatting is Prettier's job (npm run format), so no stylistic rules here.
import js from '@eslint/js';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const focusedOrSkippedTests = {
  selector:
    'CallExpression > MemberExpression[object.name=/^(it|test|describe|suite)$/][property.name=/^(only|skip|todo)$/]',
  message: 'Focused, skipped or todo tests must not be committed: a suite that skips cannot fail.',
};

export default tseslint.config(
  { ignores: ['generated/**', 'node_modules/**', 'dist/**', 'docs-site/**', 'cdk.out/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.strictTypeChecked,
  {
    languageOptions: {
      globals: globals.node,
      parserOptions: {
        projectService: { allowDefaultProject: ['eslint.config.js'] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      // `_name` marks a parameter kept for its position (express knows error middleware by arity).
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true }],
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ExportDefaultDeclaration',
          message: 'Use named exports (an explicit export list at the end of the file).',
        },
        focusedOrSkippedTests,
      ],
    },
  },
  {
    files: ['src/**/*.ts'],
    rules: { 'no-console': 'error' },
  },
  // Small modules with one job: every line counts (blank and comment lines too), and so does
  // every function, IIFEs included, so a long file cannot hide inside one.
  {
    files: ['src/**/*.{ts,js}'],
    rules: {
      'max-lines': ['error', { max: 350, skipBlankLines: false, skipComments: false }],
      'max-lines-per-function': ['error', { max: 100, skipBlankLines: false, skipComments: false, IIFEs: true }],
    },
  },
  { files: ['eslint.config.js'], ...tseslint.configs.disableTypeChecked },
  // The dashboard is plain browser JavaScript served as is (no build step): no TS program covers it.
  { files: ['src/dashboard/**/*.js'], ...tseslint.configs.disableTypeChecked },
  // Tools load these by their default export.
  { files: ['eslint.config.js', 'vitest.config.ts'], rules: { 'no-restricted-syntax': 'off' } },
);
