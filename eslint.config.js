// Lint keeps the architecture honest: the core (policy, analyzers, emitters, replay, apply)
// consumes the model and never reaches for the disk, the network or the importers.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**', 'report.html', '**/*.cjs', '**/*.tmp.ts', '.tmp-*', '.ts2-*'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/{policy,analyzers,emitters,replay,apply,diff,logs}/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: ['node:net', 'node:child_process', 'node:process'],
        patterns: [{ group: ['**/importers/**', '**/cli/**', '**/sandbox/**'], message: 'the core consumes src/model.ts, not the edges' }],
      }],
    },
  },
  {
    files: ['**/*.js', '**/*.mjs', 'bin/*'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);
