/**
 * The last line of `npm test` (tools/test/all.sh): reads the log of the run's `nx run-many` steps
 * and prints `tests: N passed, M failed`, exiting 1 exactly when M > 0.
 *
 * M counts every failure the log shows, not only Jest's `Tests:` lines:
 * - failed tests (Jest's `Tests: … N failed`; a throwing `beforeAll` fails each of its tests;
 *   Vitest's `Tests  N failed | M passed (T)`, apps/web's component tests);
 * - suites that failed to run (`● Test suite failed to run`: a syntax or import error, a throwing
 *   `afterAll`), which Jest counts in `Test Suites:` but not in `Tests:`; Vitest's
 *   `Failed Suites N` (a spec file that throws as it loads);
 * - failed Nx tasks that reported no failed test or suite: a lint or typecheck error, a throwing
 *   `globalSetup` (Jest prints no summary at all then), a task stopped before it finished;
 * - a step that exited non-zero while naming nothing of the above (Nx failing before any task);
 * - no test having run at all.
 * So a run never prints `N passed, 0 failed` and exits non-zero, nor prints failures and exits 0.
 *
 *   node -r @swc-node/register tools/test/summary.ts LOG
 *
 * all.sh appends `phoenix-test-step: exit <status>: <command>` to the log after each step.
 */
import { readFileSync } from 'node:fs';

export const STEP_MARKER = 'phoenix-test-step:';

export interface Summary {
  passed: number;
  failed: number;
  /** What the failures are, e.g. `2 tests`, `failed task: tools:lint`. Empty when none. */
  reasons: string[];
  line: string;
  exitCode: 0 | 1;
}

interface TaskReport {
  id: string;
  passedTests: number;
  failedTests: number;
  suitesFailed: number;
  suitesNotRun: number;
}

interface Step {
  tasks: TaskReport[];
  /** Tasks Nx lists under "Failed tasks:" or "Tasks stopped before they finished:". */
  failedTaskIds: string[];
  exit: number | null;
  command: string;
}

// CSI sequences (colours) and the odd OSC hyperlink; Nx replays a cached task's output with the
// colours it was recorded with, whatever FORCE_COLOR says now.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)/g;

// Vitest's summary (apps/web): `      Tests  1 failed | 22 passed (23)`, `Test Files  1 failed | 5 passed (6)`,
// and a `⎯⎯ Failed Suites 1 ⎯⎯` banner over the files that threw as they loaded.
const VITEST_TESTS = /^\s+Tests\s{2}.*\(\d+\)$/;
const VITEST_FILES = /^\s*Test Files\s{2}.*\(\d+\)$/;
const VITEST_FAILED_SUITES = /^⎯+ Failed Suites (\d+) ⎯+$/;

function count(text: string, word: 'passed' | 'failed'): number {
  const m = new RegExp(`(\\d+) ${word}`).exec(text);
  return m ? Number(m[1]) : 0;
}

function parse(log: string): Step[] {
  const steps: Step[] = [];
  const newStep = (): Step => ({ tasks: [], failedTaskIds: [], exit: null, command: '' });
  let step = newStep();
  let task: TaskReport | null = null;
  // Output before any `> nx run` header (one-project runs print none) goes to an anonymous task.
  const current = (): TaskReport => {
    if (!task) {
      task = { id: '', passedTests: 0, failedTests: 0, suitesFailed: 0, suitesNotRun: 0 };
      step.tasks.push(task);
    }
    return task;
  };
  let inFailedList = false;

  for (const raw of log.replace(ANSI, '').split(/\r?\n|\r/)) {
    const line = raw.trimEnd();
    if (line.startsWith(STEP_MARKER)) {
      const m = /^phoenix-test-step: exit (\d+): ?(.*)$/.exec(line);
      step.exit = m ? Number(m[1]) : 1;
      step.command = m ? m[2] : line;
      steps.push(step);
      step = newStep();
      task = null;
      inFailedList = false;
      continue;
    }
    const header = /^> nx run (\S+)/.exec(line);
    if (header) {
      task = { id: header[1], passedTests: 0, failedTests: 0, suitesFailed: 0, suitesNotRun: 0 };
      step.tasks.push(task);
      inFailedList = false;
      continue;
    }
    if (/^(Failed tasks|Tasks stopped before they finished):$/.test(line.trim())) {
      inFailedList = true;
      continue;
    }
    if (inFailedList) {
      const item = /^\s*- (\S+)$/.exec(line);
      if (item) step.failedTaskIds.push(item[1]);
      else if (line.trim() !== '') inFailedList = false;
      continue;
    }
    if (/^Tests:\s/.test(line) || VITEST_TESTS.test(line)) {
      const t = current();
      t.passedTests += count(line, 'passed');
      t.failedTests += count(line, 'failed');
    } else if (/^Test Suites:\s/.test(line) || VITEST_FILES.test(line)) {
      current().suitesFailed += count(line, 'failed');
    } else if (/● Test suite failed to run/.test(line)) {
      current().suitesNotRun += 1;
    } else {
      const failedSuites = VITEST_FAILED_SUITES.exec(line);
      if (failedSuites) current().suitesNotRun += Number(failedSuites[1]);
    }
  }
  // A log cut short (or one without markers) still counts, with its exit status unknown.
  if (step.tasks.length > 0 || step.failedTaskIds.length > 0) steps.push(step);
  return steps;
}

export function summarize(log: string): Summary {
  let passed = 0;
  let failedTests = 0;
  let suitesNotRun = 0;
  const failedTasks: string[] = [];
  const failedSteps: string[] = [];

  for (const step of parse(log)) {
    let stepFailures = 0;
    for (const t of step.tasks) {
      passed += t.passedTests;
      failedTests += t.failedTests;
      // Jest's `Test Suites: N failed` with no failed test and no "failed to run" block: the
      // suites failed some other way; count them rather than lose them.
      const notRun = t.suitesNotRun > 0 || t.failedTests > 0 ? t.suitesNotRun : t.suitesFailed;
      suitesNotRun += notRun;
      stepFailures += t.failedTests + notRun;
    }
    for (const id of new Set(step.failedTaskIds)) {
      const own = step.tasks.filter((t) => t.id === id);
      if (own.some((t) => t.failedTests > 0 || t.suitesNotRun > 0 || t.suitesFailed > 0)) continue;
      failedTasks.push(id);
      stepFailures += 1;
    }
    if (step.exit !== null && step.exit !== 0 && stepFailures === 0) {
      failedSteps.push(`\`${step.command}\` exited ${step.exit}`);
    }
  }

  const reasons: string[] = [];
  if (failedTests > 0) reasons.push(`${failedTests} ${failedTests === 1 ? 'test' : 'tests'}`);
  if (suitesNotRun > 0) reasons.push(`${suitesNotRun} ${suitesNotRun === 1 ? 'suite' : 'suites'} failed to run`);
  if (failedTasks.length > 0) reasons.push(`failed ${failedTasks.length === 1 ? 'task' : 'tasks'}: ${failedTasks.join(', ')}`);
  reasons.push(...failedSteps);
  let failed = failedTests + suitesNotRun + failedTasks.length + failedSteps.length;
  if (failed === 0 && passed === 0) {
    reasons.push('no test ran');
    failed = 1;
  }
  const line = `tests: ${passed} passed, ${failed} failed${reasons.length ? ` (${reasons.join('; ')})` : ''}`;
  return { passed, failed, reasons, line, exitCode: failed > 0 ? 1 : 0 };
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write('usage: summary.ts LOG\n');
    process.exit(2);
  }
  const summary = summarize(readFileSync(file, 'utf8'));
  process.stdout.write(`${summary.line}\n`);
  process.exit(summary.exitCode);
}
