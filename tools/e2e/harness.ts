// What an end-to-end suite needs around the real services: start each as its own process with its
// side's Redis user, wait until ready (its output in the error when not), run the reference client
// in-process through its CLI entry, poll for a condition with a deadline. Suites keep their own
// ports (asserted free) and namespaces (tools/platform/netns.ts labLayout with a tag).
import { sideRedisUrl, spawnService, ServiceProcess, waitForHttp } from '@phoenix/common/testing';
import type { LabLayout } from '../platform/netns';
import { run } from '../client/cli';
import { loadState } from '../client/state';

/** Fails naming the port when something answers on it (another suite or `npm run platform`). */
export async function assertPortsFree(ports: readonly number[], suite: string): Promise<void> {
  for (const port of ports) {
    const taken = await fetch(`http://127.0.0.1:${port}/health/live`, { signal: AbortSignal.timeout(1000) }).then(
      () => true,
      () => false,
    );
    if (taken) throw new Error(`port ${port} is taken; ${suite} needs ${ports.join(', ')} free`);
  }
}

/** The services a suite started, each with the environment it got (its Redis user and key prefix, for the scans). */
export class Services {
  readonly procs: Record<string, ServiceProcess> = {};
  readonly envs: Record<string, NodeJS.ProcessEnv> = {};

  constructor(private readonly common: NodeJS.ProcessEnv) {}

  /** Starts `app` on `port` with its own side's Redis user, the suite's common settings, then `extra`. */
  start(app: string, port: number, extra: NodeJS.ProcessEnv = {}): void {
    this.envs[app] = { ...process.env, LOG_LEVEL: 'info', NODE_ENV: 'development', PORT: String(port), REDIS_URL: sideRedisUrl(app), ...this.common, ...extra };
    this.procs[app] = spawnService(app, this.envs[app]);
  }

  async ready(app: string, port: number, timeoutMs = 60_000): Promise<void> {
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/ready`, timeoutMs);
    } catch (error) {
      throw new Error(`${app} did not become ready: ${(error as Error).message}\n--- its output ---\n${this.output(app).slice(-4000)}`);
    }
  }

  output(app: string): string {
    return this.procs[app]?.output() ?? '';
  }

  async stopAll(graceMs = 10_000): Promise<void> {
    await Promise.all(Object.values(this.procs).map((s) => s.stop(graceMs)));
  }
}

export interface ClientResult {
  code: number;
  out: string;
  err: string;
}

/**
 * The reference client, run in-process (`npm run client -- …` without the process): `--state-dir`,
 * `--auth-url` and `--config-url` added to every command, the suite's tagged lab for `up`/`--up`.
 * `ok` throws with the client's output and `context()` (e.g. a service's log tail) unless it exits 0.
 */
export function clientRunner(urls: () => { auth: string; config: string }, lab: LabLayout, context: () => string = () => '') {
  const client = async (dir: string, ...args: string[]): Promise<ClientResult> => {
    let out = '';
    let err = '';
    const { auth, config } = urls();
    const code = await run([...args, '--state-dir', dir, '--auth-url', auth, '--config-url', config], {
      out: (l) => (out += `${l}\n`),
      err: (l) => (err += `${l}\n`),
      env: process.env,
      lab,
    });
    return { code, out, err };
  };
  const ok = async (dir: string, ...args: string[]): Promise<string> => {
    const r = await client(dir, ...args);
    if (r.code !== 0) throw new Error(`client ${args.join(' ')} exited ${r.code}:\n${r.err}${r.out}\n${context()}`);
    return r.out;
  };
  return { client, ok };
}

/** Polls `probe` until it returns a value (not undefined), at most `timeoutMs`; then fails saying what was awaited and what was last seen. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (let attempt = 0; attempt < 100_000; attempt++) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
      last = undefined;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message ?? String(last)}` : ''}`);
}

/**
 * A consumer user of a suite leaves as a user would: erasure through the API (`DELETE /account`:
 * identity database and quota), then the Firebase account itself (the emulator's admin endpoint).
 * Best effort: a suite's afterAll calls it whatever happened before.
 */
export async function eraseConsumer(authUrl: string, stateDir: string, uid: string, doFetch: typeof fetch = fetch): Promise<void> {
  const idToken = loadState(stateDir).session?.idToken;
  if (idToken) await doFetch(`${authUrl}/account`, { method: 'DELETE', headers: { authorization: `Bearer ${idToken}` } }).catch(() => undefined);
  await doFetch(`http://${process.env.FIREBASE_AUTH_EMULATOR_HOST}/identitytoolkit.googleapis.com/v1/projects/${process.env.FIREBASE_PROJECT_ID}/accounts:delete`, {
    method: 'POST',
    headers: { authorization: 'Bearer owner', 'content-type': 'application/json' },
    body: JSON.stringify({ localId: uid }),
  }).catch(() => undefined);
}
