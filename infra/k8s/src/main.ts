// `npm run k8s:render`: writes infra/k8s/rendered/<env>/ from the generator (every object
// validated against its schema first). `-- --check` writes nothing and exits 1 when the committed
// files differ from what the generator makes now.
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { ENVIRONMENTS, EnvironmentName } from './environments';
import { renderEnvironment } from './render';

export const RENDERED_DIR = path.resolve(__dirname, '../rendered');

function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? filesUnder(path.join(dir, e.name)).map((f) => path.join(e.name, f)) : [e.name],
  );
}

/** Differences between the generator's output and the files on disk (empty: in sync). */
export function differences(): string[] {
  const problems: string[] = [];
  for (const name of Object.keys(ENVIRONMENTS) as EnvironmentName[]) {
    const dir = path.join(RENDERED_DIR, name);
    const files = renderEnvironment(ENVIRONMENTS[name]);
    const expected = new Set(files.map((f) => f.path));
    for (const f of files) {
      const file = path.join(dir, f.path);
      if (!existsSync(file)) problems.push(`${name}/${f.path}: missing`);
      else if (readFileSync(file, 'utf8') !== f.text) problems.push(`${name}/${f.path}: differs from the generator`);
    }
    for (const f of filesUnder(dir)) if (!expected.has(f)) problems.push(`${name}/${f}: not made by the generator`);
  }
  return problems;
}

function write(): void {
  for (const name of Object.keys(ENVIRONMENTS) as EnvironmentName[]) {
    const files = renderEnvironment(ENVIRONMENTS[name]);
    for (const f of files) f.objects?.forEach((o) => o.validate());
    const dir = path.join(RENDERED_DIR, name);
    rmSync(dir, { recursive: true, force: true });
    for (const f of files) {
      const file = path.join(dir, f.path);
      mkdirSync(path.dirname(file), { recursive: true });
      writeFileSync(file, f.text);
      if (f.path.endsWith('.sh')) chmodSync(file, 0o755);
    }
    process.stdout.write(`k8s: ${name}: ${files.length} files in ${path.relative(process.cwd(), dir)}\n`);
  }
}

if (require.main === module) {
  if (process.argv.includes('--check')) {
    const problems = differences();
    for (const p of problems) process.stderr.write(`k8s: ${p}\n`);
    process.exit(problems.length ? 1 : 0);
  }
  write();
}
