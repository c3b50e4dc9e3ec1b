import { lintAs } from './eslint-cli';

// Proves the module-boundary rules bite (ARCHITECTURE.md "Boundaries in code"): each case lints a
// deliberately violating file placed in a real project and expects the rule to fail it.
/** The boundary rule's messages and, for the web app, no-restricted-imports' (Node built-ins). */
async function webErrors(file: string, code: string): Promise<string[]> {
  return lintAs(file, code)
    .filter((m) => m.ruleId === '@nx/enforce-module-boundaries' || m.ruleId === 'no-restricted-imports')
    .map((m) => m.message);
}

async function boundaryErrors(file: string, code: string): Promise<string[]> {
  return lintAs(file, code)
    .filter((m) => m.ruleId === '@nx/enforce-module-boundaries')
    .map((m) => m.message);
}

describe('module boundaries', () => {
  jest.setTimeout(60_000);

  it('fails the network side importing identity-side code', async () => {
    const errors = await boundaryErrors(
      'apps/config-service/src/boundary-violation.ts',
      `import { AppModule } from '../../auth-service/src/app.module';\nexport const leak = AppModule;\n`,
    );
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.join('\n')).toMatch(/relative or absolute path|Imports of apps are forbidden/);
  });

  it('fails a domain lib importing a framework or IO client', async () => {
    for (const banned of ['@nestjs/common', 'typeorm', 'ioredis']) {
      const errors = await boundaryErrors('libs/crypto/src/boundary-violation.ts', `import * as x from '${banned}';\nexport const y = x;\n`);
      expect(errors.join('\n')).toContain(banned);
    }
  });

  it('fails a shared lib importing an app', async () => {
    const errors = await boundaryErrors('libs/common/src/boundary-violation.ts', `import { AppModule } from '../../../apps/auth-service/src/app.module';\nexport const z = AppModule;\n`);
    expect(errors.length).toBeGreaterThan(0);
  });

  it('passes a network app importing shared libs through their aliases', async () => {
    const errors = await boundaryErrors('apps/config-service/src/boundary-ok.ts', `import { AppError } from '@phoenix/common';\nimport { createRedis } from '@phoenix/database';\nexport const ok = [AppError, createRedis];\n`);
    expect(errors).toEqual([]);
  });
  it('keeps the web app to browser-safe code: @phoenix/client-protocol yes; Node-only libs, node: modules and server clients no', async () => {
    expect(await boundaryErrors('apps/web/src/boundary-ok.tsx', `import { withPrivateKey } from '@phoenix/client-protocol';\nexport const ok = withPrivateKey;\n`)).toEqual([]);
    for (const banned of ['@phoenix/crypto', '@phoenix/common', 'node:fs', 'ioredis']) {
      const errors = await webErrors('apps/web/src/boundary-violation.tsx', `import * as x from '${banned}';\nexport const y = x;\n`);
      expect({ banned, failed: errors.length > 0 }).toEqual({ banned, failed: true });
    }
    const app = await boundaryErrors('apps/web/src/boundary-violation.ts', `import { AppModule } from '../../auth-service/src/app.module';\nexport const leak = AppModule;\n`);
    expect(app.length).toBeGreaterThan(0);
  });
});
