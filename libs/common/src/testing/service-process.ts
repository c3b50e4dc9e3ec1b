import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import path from 'node:path';

export const WORKSPACE_ROOT = path.resolve(__dirname, '../../../..');

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ServiceProcess {
  proc: ChildProcess;
  output: () => string;
  exited: Promise<ExitStatus>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves with how the process ended. */
  stop: (graceMs?: number) => Promise<ExitStatus>;
}

/** Runs one app's `src/main.ts` the way `nx serve` does, as its own process. */
export function spawnService(app: string, env: NodeJS.ProcessEnv): ServiceProcess {
  const proc = spawn(process.execPath, ['-r', '@swc-node/register', path.join('apps', app, 'src', 'main.ts')], {
    cwd: WORKSPACE_ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<ExitStatus>((resolve) => proc.once('exit', (code, signal) => resolve({ code, signal })));
  return {
    proc,
    output: () => out,
    exited,
    stop: async (graceMs = 10_000) => {
      if (proc.exitCode !== null || proc.signalCode !== null) return { code: proc.exitCode, signal: proc.signalCode };
      proc.kill('SIGTERM');
      const timer = setTimeout(() => proc.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls `url` until it answers 200, bounded by `timeoutMs`. */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url, { signal: AbortSignal.timeout(1000) });
      if (res.status === 200) return;
      last = `status ${res.status}`;
    } catch (e) {
      last = (e as Error).message;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (${last})`);
}

/**
 * Applies the migrations of `apps` to the local stack's own databases (idempotent), as
 * `npm run platform` does: for suites that run services against the stack rather than a
 * throwaway database. A fresh machine's stack databases are empty, and a service whose schema is
 * behind is not ready.
 */
export function migrateStackDatabases(apps: string[]): void {
  for (const app of apps) {
    execFileSync(process.execPath, ['-r', '@swc-node/register', path.join('apps', app, 'src', 'database', 'migrate.ts')], {
      cwd: WORKSPACE_ROOT,
      env: process.env,
      stdio: 'pipe',
      timeout: 60_000,
    });
  }
}
