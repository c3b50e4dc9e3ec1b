// Shared Jest settings. SWC transpiles TypeScript with decorator metadata (NestJS DI needs it);
// type checking is the separate `typecheck` target, so tests stay fast.
const path = require('node:path');
const { pathsToModuleNameMapper } = require('./tools/jest/paths');

/** @param {string} projectRoot @param {'unit'|'integration'} kind */
function jestProject(projectRoot, kind = 'unit') {
  const rel = path.relative(__dirname, projectRoot);
  return {
    displayName: `${rel}${kind === 'integration' ? ' (integration)' : ''}`,
    rootDir: projectRoot,
    testEnvironment: 'node',
    testMatch: kind === 'unit' ? ['<rootDir>/**/*.spec.ts'] : ['<rootDir>/**/*.integration-spec.ts'],
    testPathIgnorePatterns: ['/node_modules/', '/dist/'],
    // @noble/* v2, @cloudflare/*, canonicalize 5 and content-disposition 3 (under @fastify/static) ship ES modules only: SWC turns them into CommonJS for Jest
    // (Node itself loads them through require(esm), so production code needs nothing extra).
    transformIgnorePatterns: ['/node_modules/(?!(@noble|@cloudflare|canonicalize|content-disposition)/)'],
    transform: {
      '^.+\\.(ts|js|mjs)$': [
        '@swc/jest',
        {
          jsc: {
            parser: { syntax: 'typescript', decorators: true },
            transform: { legacyDecorator: true, decoratorMetadata: true },
            target: 'es2022',
          },
          module: { type: 'commonjs' },
          sourceMaps: 'inline',
        },
      ],
    },
    moduleFileExtensions: ['ts', 'js', 'json'],
    moduleNameMapper: pathsToModuleNameMapper(__dirname),
    setupFiles: [path.join(__dirname, 'tools/jest/setup.js')],
    ...(kind === 'integration'
      ? { globalSetup: path.join(__dirname, 'tools/jest/stack-env.js'), testTimeout: 60_000 }
      : { testTimeout: 20_000 }),
  };
}

module.exports = { jestProject };
