import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { summarize } from './summary';

// The samples are real logs, recorded as tools/test/all.sh records them (`nx run-many …
// --output-style=static` through `tee`, then a `phoenix-test-step:` line per step) from a scratch
// Nx workspace with @nx/jest projects: one green, one whose `beforeAll` throws, one whose
// `globalSetup` throws, one with a syntax error in a spec, one whose `afterAll` throws, one with a
// lint error, one replayed from the cache with the colour codes it was recorded with, and a step
// where Nx fails before running any task; and two Vitest runs (one green, one with a failing test
// and a spec file that throws as it loads), recorded the same way.
const ROOT = path.resolve(__dirname, '../..');
const sample = (name: string): string => readFileSync(path.join(__dirname, 'samples', `${name}.txt`), 'utf8');

describe('npm test summary line', () => {
  it.each([
    ['green', 'tests: 2 passed, 0 failed', 0],
    ['cached-colour', 'tests: 5 passed, 0 failed', 0],
    ['before-all', 'tests: 3 passed, 2 failed (2 tests)', 1],
    ['after-all', 'tests: 3 passed, 1 failed (1 suite failed to run)', 1],
    ['compile-error', 'tests: 4 passed, 2 failed (1 suite failed to run; failed task: compile:lint)', 1],
    ['global-setup', 'tests: 2 passed, 1 failed (failed task: globalsetup:test)', 1],
    ['lint-failure', 'tests: 4 passed, 1 failed (failed task: lintfail:lint)', 1],
    // Vitest (apps/web's component tests): its own summary lines, a failing test and a spec file
    // that throws as it loads.
    ['vitest-green', 'tests: 2 passed, 0 failed', 0],
    ['vitest-failure', 'tests: 2 passed, 2 failed (1 test; 1 suite failed to run)', 1],
    [
      'nx-failure',
      'tests: 2 passed, 1 failed (`npx nx run-many -t lint typecheck --parallel=2 --output-style=static` exited 1)',
      1,
    ],
  ])('%s: %s', (name, line, exitCode) => {
    const summary = summarize(sample(name));
    expect(summary.line).toBe(line);
    expect(summary.exitCode).toBe(exitCode);
  });

  it('counts the tests of a cached replay whose output kept its colour codes', () => {
    const log = sample('cached-colour');
    expect(log).toContain('\u001b[');
    expect(log).toContain('[existing outputs match the cache, left as is]');
    expect(summarize(log).passed).toBe(5);
  });

  it('exits non-zero exactly when it reports a failure, on every sample', () => {
    for (const name of ['green', 'cached-colour', 'before-all', 'after-all', 'compile-error', 'global-setup', 'lint-failure', 'nx-failure', 'vitest-green', 'vitest-failure']) {
      const { failed, exitCode, line } = summarize(sample(name));
      expect({ name, failing: exitCode !== 0 }).toEqual({ name, failing: failed > 0 });
      if (exitCode !== 0) expect(line).not.toMatch(/ 0 failed/);
    }
  });

  it('fails a run in which no test ran', () => {
    expect(summarize('').line).toBe('tests: 0 passed, 1 failed (no test ran)');
    expect(summarize('').exitCode).toBe(1);
  });

  it('fails a run whose step exited non-zero even when its log names no failure', () => {
    const log = `${sample('green')}phoenix-test-step: exit 130: npx nx run-many -t integration\n`;
    expect(summarize(log)).toMatchObject({ passed: 2, failed: 1, exitCode: 1 });
  });

  it('prints the line and exits with its code when run as all.sh runs it', () => {
    const cli = (name: string) =>
      spawnSync(process.execPath, ['-r', '@swc-node/register', 'tools/test/summary.ts', path.join('tools/test/samples', `${name}.txt`)], {
        cwd: ROOT,
        encoding: 'utf8',
      });
    const failing = cli('global-setup');
    expect([failing.stdout, failing.status]).toEqual(['tests: 2 passed, 1 failed (failed task: globalsetup:test)\n', 1]);
    const green = cli('green');
    expect([green.stdout, green.status]).toEqual(['tests: 2 passed, 0 failed\n', 0]);
  });
});
