import nx from '@nx/eslint-plugin';
import jest from 'eslint-plugin-jest';
import jsxA11y from 'eslint-plugin-jsx-a11y';
import reactHooks from 'eslint-plugin-react-hooks';

// Boundaries (ARCHITECTURE.md "Boundaries in code"): a side imports only itself and shared code,
// apps never import apps, and domain libs stay free of frameworks and IO clients.
const IO_AND_FRAMEWORKS = ['@nestjs/*', 'typeorm', 'ioredis', 'bullmq', '@clickhouse/client', 'pino', 'firebase-admin', 'stripe'];
// The web app runs in browsers: it may use only libs tagged runtime:browser (no Node built-ins, no
// server frameworks or clients), and none of the packages that would hold a server's secrets.
const SERVER_ONLY = [...IO_AND_FRAMEWORKS, 'pg', 'libsodium-wrappers', 'node:*', '@phoenix/crypto', '@phoenix/common', '@phoenix/database'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '.stack/**', 'tmp/**', '**/jest.config.js', '**/jest.integration.config.js'] },
  {
    files: ['**/*.ts', '**/*.tsx'],
    rules: {
      '@nx/enforce-module-boundaries': [
        'error',
        {
          enforceBuildableLibDependency: false,
          allow: [],
          depConstraints: [
            { sourceTag: 'scope:identity', onlyDependOnLibsWithTags: ['scope:identity', 'scope:shared'] },
            { sourceTag: 'scope:network', onlyDependOnLibsWithTags: ['scope:network', 'scope:shared'] },
            { sourceTag: 'scope:analytics', onlyDependOnLibsWithTags: ['scope:analytics', 'scope:shared'] },
            { sourceTag: 'scope:jobs', onlyDependOnLibsWithTags: ['scope:jobs', 'scope:shared'] },
            { sourceTag: 'scope:shared', onlyDependOnLibsWithTags: ['scope:shared'] },
            { sourceTag: 'scope:web', onlyDependOnLibsWithTags: ['runtime:browser'], bannedExternalImports: SERVER_ONLY },
            { sourceTag: 'type:app', onlyDependOnLibsWithTags: ['type:util', 'type:domain', 'type:data-access'] },
            { sourceTag: 'type:data-access', onlyDependOnLibsWithTags: ['type:util', 'type:domain', 'type:data-access'] },
            { sourceTag: 'type:util', onlyDependOnLibsWithTags: ['type:util', 'type:domain'] },
            { sourceTag: 'type:domain', onlyDependOnLibsWithTags: ['type:domain'], bannedExternalImports: IO_AND_FRAMEWORKS },
          ],
        },
      ],
      // Nest wiring and TypeORM use `Function` for class references.
      '@typescript-eslint/no-unsafe-function-type': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // The web app (apps/web): the rules of hooks and accessibility lint (jsx-a11y) on its components.
    files: ['apps/web/src/**/*.tsx', 'apps/web/src/**/*.ts'],
    plugins: { 'react-hooks': reactHooks, 'jsx-a11y': jsxA11y },
    languageOptions: { parserOptions: { ecmaFeatures: { jsx: true } } },
    rules: {
      ...reactHooks.configs.flat.recommended.rules,
      ...jsxA11y.flatConfigs.recommended.rules,
      // Pages load their data on mount through an async function that first sets a loading flag;
      // there is no data-fetching library whose cache would make that an anti-pattern.
      'react-hooks/set-state-in-effect': 'off',
      // Location cards nest the label's text a few elements deep.
      'jsx-a11y/label-has-associated-control': ['error', { depth: 4 }],
      // Node built-ins are not "external" to the boundary rule: keep them out here.
      'no-restricted-imports': ['error', { patterns: [{ group: ['node:*'], message: 'apps/web runs in browsers: no Node built-ins.' }] }],
    },
  },
  {
    // Benchmarks measure an app's own internals (e.g. its redemption floor) beside its HTTP path:
    // they may reach into projects by path. They are tooling, never deployed or imported.
    files: ['bench/**/*.ts'],
    rules: { '@nx/enforce-module-boundaries': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // Tests may assert presence with `!` after checking it.
    files: ['**/*.spec.ts', '**/*.integration-spec.ts'],
    rules: { '@typescript-eslint/no-non-null-assertion': 'off' },
  },
  {
    // A suite never runs partly: no `.only`/`fit`/`fdescribe` (the rest of the file would silently
    // not run) and no `.skip`/`xit`/`xdescribe` (a test that lacks its tools fails, never skips).
    files: ['**/*.spec.ts', '**/*.integration-spec.ts'],
    plugins: { jest },
    rules: { 'jest/no-focused-tests': 'error', 'jest/no-disabled-tests': 'error' },
  },
];
