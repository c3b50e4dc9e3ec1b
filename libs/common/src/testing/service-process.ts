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

/**
 * The stack's Redis user of each app's side (`.stack/env`, README "Redis users"): a service under
 * test runs with its own side's rights only, never with the admin `REDIS_URL` that specs inspect
 * Redis with.
 */
export const SIDE_REDIS_URL: Readonly<Record<string, string>> = {
  'auth-service': 'REDIS_URL_IDENTITY',
  'config-service': 'REDIS_URL_NETWORK',
  'node-daemon': 'REDIS_URL_NODE',
  'analytics-service': 'REDIS_URL_ANALYTICS',
  'job-worker': 'REDIS_URL_JOBS',
};

/** `app`'s side's Redis URL from the stack's env; throws when the stack predates its Redis users. */
export function sideRedisUrl(app: string, env: NodeJS.ProcessEnv = process.env): string {
  const name = SIDE_REDIS_URL[app];
  if (!name) throw new Error(`${app} has no Redis user`);
  const url = env[name];
  if (!url) throw new Error(`${name} is not set: the local stack predates its Redis users — run \`npm run stack:start\` to add them`);
  return url;
}

/**
 * Runs one app's `src/main.ts` the way `nx serve` does, as its own process. An inherited admin
 * `REDIS_URL` (the stack's) becomes the app's side's URL; one the caller chose stays.
 */
export function spawnService(app: string, env: NodeJS.ProcessEnv): ServiceProcess {
  const runEnv = env.REDIS_URL !== undefined && env.REDIS_URL === process.env.REDIS_URL ? { ...env, REDIS_URL: sideRedisUrl(app, env) } : env;
  const proc = spawn(process.execPath, ['-r', '@swc-node/register', path.join('apps', app, 'src', 'main.ts')], {
    cwd: WORKSPACE_ROOT,
    env: runEnv,
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
