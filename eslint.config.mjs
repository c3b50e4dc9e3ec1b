import nx from '@nx/eslint-plugin';
import jest from 'eslint-plugin-jest';

// Boundaries (ARCHITECTURE.md "Boundaries in code"): a side imports only itself and shared code,
// apps never import apps, and domain libs stay free of frameworks and IO clients.
const IO_AND_FRAMEWORKS = ['@nestjs/*', 'typeorm', 'ioredis', 'bullmq', '@clickhouse/client', 'pino', 'firebase-admin', 'stripe'];

export default [
  ...nx.configs['flat/base'],
  ...nx.configs['flat/typescript'],
  { ignores: ['**/dist', '**/node_modules', '.stack/**', 'tmp/**', '**/jest.config.js', '**/jest.integration.config.js'] },
  {
    files: ['**/*.ts'],
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
