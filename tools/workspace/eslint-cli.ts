import { spawnSync } from 'node:child_process';
import path from 'node:path';

const ROOT = path.resolve(__dirname, '../..');

export interface LintMessage {
  ruleId: string | null;
  severity: number;
  message: string;
}

// Runs in a child process (ESLint loads the root eslint.config.mjs as an ES module, which Jest's
// module system cannot): lints each { file, code } of the JSON on stdin, prints their messages.
const LINT_TEXTS = `
const { ESLint } = require('eslint');
let input = '';
process.stdin.on('data', (c) => (input += c)).on('end', async () => {
  const eslint = new ESLint({ cwd: process.cwd() });
  const out = [];
  for (const { file, code } of JSON.parse(input)) {
    const [result] = await eslint.lintText(code, { filePath: file });
    out.push(result.messages.map(({ ruleId, severity, message }) => ({ ruleId, severity, message })));
  }
  process.stdout.write(JSON.stringify(out));
});`;

/**
 * ESLint with the root eslint.config.mjs (as `nx lint` runs it) on each snippet, as if it lived at
 * its `file` (relative to the workspace root): the messages each gets, in order. One process for
 * all of them: ESLint's start-up and the Nx project graph are paid once.
 */
export function lintTexts(snippets: ReadonlyArray<{ file: string; code: string }>): LintMessage[][] {
  const run = spawnSync(process.execPath, ['-e', LINT_TEXTS], { cwd: ROOT, input: JSON.stringify(snippets), encoding: 'utf8' });
  if (run.status !== 0 || !run.stdout) throw new Error(`eslint produced no report: ${run.stderr}`);
  return JSON.parse(run.stdout) as LintMessage[][];
}

/** {@link lintTexts} for one snippet. */
export function lintAs(file: string, code: string): LintMessage[] {
  return lintTexts([{ file, code }])[0];
}
