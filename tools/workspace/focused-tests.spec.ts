import { LintMessage, lintTexts } from './eslint-cli';

// Proves lint fails a spec that would run only part of a suite: focused tests (the rest of the
// file silently does not run) and disabled ones (a suite that lacks its tools fails, never skips).
const SPECS = ['libs/crypto/src/lint-probe.spec.ts', 'apps/config-service/src/lint-probe.integration-spec.ts'];
const one = `('t', () => expect(1).toBe(1));\n`;
const group = `('g', () => { it('t', () => expect(1).toBe(1)); });\n`;
const FOCUSED = { 'it.only': `it.only${one}`, 'test.only': `test.only${one}`, 'describe.only': `describe.only${group}`, fit: `fit${one}`, fdescribe: `fdescribe${group}` };
const DISABLED = { 'it.skip': `it.skip${one}`, 'test.skip': `test.skip${one}`, 'describe.skip': `describe.skip${group}`, xit: `xit${one}`, xtest: `xtest${one}`, xdescribe: `xdescribe${group}` };
const PLAIN = `describe('s', () => {\n  it('a', () => expect(1).toBe(1));\n  it.each([1, 2])('b %i', (n) => expect(n).toBeGreaterThan(0));\n});\n`;

describe('lint on specs', () => {
  jest.setTimeout(60_000);
  const cases = [...Object.entries(FOCUSED), ...Object.entries(DISABLED), ['plain', PLAIN]].flatMap(([name, code]) =>
    SPECS.map((file) => ({ name, file, code })),
  );
  let reports: Map<string, LintMessage[]>;

  beforeAll(() => {
    const messages = lintTexts(cases);
    reports = new Map(cases.map((c, i) => [`${c.name} ${c.file}`, messages[i]]));
  });

  const errorsOf = (name: string, file: string): string[] =>
    reports.get(`${name} ${file}`)!.filter((m) => m.severity === 2).map((m) => m.ruleId ?? m.message);

  it.each(Object.keys(FOCUSED))('fails a focused test: %s', (name) => {
    for (const file of SPECS) expect(errorsOf(name, file)).toEqual(['jest/no-focused-tests']);
  });

  it.each(Object.keys(DISABLED))('fails a disabled test: %s', (name) => {
    for (const file of SPECS) expect(errorsOf(name, file)).toEqual(['jest/no-disabled-tests']);
  });

  it('passes plain and table-driven tests', () => {
    for (const file of SPECS) expect(reports.get(`plain ${file}`)).toEqual([]);
  });
});
