// Lint keeps the architecture honest (docs/architecture.md draws it):
//   cli (commands) → proof → features → policy → model and its neighbours (net, powershell, root modules)
// where the features are importers, analyzers, emitters, sandbox, logs, apply, diff and replay,
// and proof (the fix verifier) combines analyzers, apply and replay, which may not import each other.
// Layers only point down, a feature never imports a sibling feature, and the core (policy and
// the pure features) never reaches for the disk, the network or the process.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';

const FEATURES = ['importers', 'analyzers', 'emitters', 'sandbox', 'logs', 'apply', 'diff', 'replay'];
/** Folders below the features: policy, then what everything may use. */
const MODEL_LEVEL = ['net', 'powershell'];
const PURE_CORE = ['policy', 'analyzers', 'emitters', 'replay', 'apply', 'diff', 'proof'];

// An import is matched by the path it names: a file of src/<folder>/ at depth d (d folders
// below src/) names another top-level folder X as `../` × d + `X/`. One config per depth keeps
// `emitters/powershell/` apart from `src/powershell/`.
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
function topLevel(depth, folders) {
  return `^${escape('../'.repeat(depth))}(?:${folders.join('|')})(?:/|\\.js$)`;
}

function layerRules(folder, forbidden, message, extraPaths = []) {
  const configs = [];
  for (let depth = 1; depth <= 4; depth++) {
    const files = [`src/${folder}/${'*/'.repeat(depth - 1)}*.ts`];
    configs.push({
      files,
      rules: {
        'no-restricted-imports': ['error', {
          paths: extraPaths,
          patterns: forbidden.length === 0 ? [] : [{ regex: topLevel(depth, forbidden), message }],
        }],
      },
    });
  }
  return configs;
}

const NODE_IO = ['node:net', 'node:child_process', 'node:process'];
const layering = [
  ...FEATURES.flatMap((feature) => layerRules(
    feature,
    ['cli', 'proof', ...FEATURES.filter((f) => f !== feature)],
    `${feature} is a feature layer: it may use policy, model, net and powershell, never cli or a sibling feature (docs/architecture.md)`,
    PURE_CORE.includes(feature) ? NODE_IO : [],
  )),
  // The fix verifier sits between the commands and the features: it may use any feature, only the cli uses it.
  ...layerRules('proof', ['cli'], 'proof sits below the cli and above the features (docs/architecture.md)', NODE_IO),
  ...layerRules('policy', ['cli', 'proof', ...FEATURES], 'policy sits below the features and the cli (docs/architecture.md)', NODE_IO),
  ...MODEL_LEVEL.flatMap((folder) => layerRules(
    folder,
    ['cli', 'proof', 'policy', ...FEATURES, ...MODEL_LEVEL.filter((f) => f !== folder)],
    `${folder} is model-level: it may use only src/*.ts modules (docs/architecture.md)`,
  )),
  {
    // The root modules (model.ts, errors.ts, principals.ts, …) are the bottom layer.
    files: ['src/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        patterns: [{ regex: `^\\./(?:${['cli', 'proof', 'policy', ...FEATURES, ...MODEL_LEVEL].join('|')})/`, message: 'the root modules are the bottom layer (docs/architecture.md)' }],
      }],
    },
  },
];

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', 'coverage/**', 'test-artifacts/**', 'report.html', '**/*.cjs', '**/*.tmp.ts', '.tmp-*', '.ts2-*'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
  },
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-explicit-any': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // node:test's test/describe/it return promises the runner itself awaits.
      '@typescript-eslint/no-floating-promises': ['error', {
        allowForKnownSafeCalls: [{ from: 'package', package: 'node:test', name: ['test', 'describe', 'it', 'suite', 'before', 'after', 'beforeEach', 'afterEach'] }],
      }],
    },
  },
  ...layering,
  { files: ['**/*.js', '**/*.mjs', 'bin/*'], ...tseslint.configs.disableTypeChecked },
  {
    files: ['**/*.js', '**/*.mjs', 'bin/*'],
    languageOptions: { globals: { process: 'readonly', console: 'readonly', URL: 'readonly' } },
  },
);

// test/architecture.test.ts lints sample imports with these rules alone.
export { layering };
