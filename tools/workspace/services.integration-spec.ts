import { migrateStackDatabases, spawnService, waitForHttp } from '@phoenix/common/testing';

// Each service as its own process, the way `npm run platform` starts it.
const REQUIRED: Record<string, string> = {
  'auth-service': 'IDENTITY_DATABASE_URL',
  'config-service': 'NETWORK_DATABASE_URL',
  'analytics-service': 'CLICKHOUSE_URL',
  'job-worker': 'REDIS_URL',
  'node-daemon': 'CONFIG_SERVICE_URL',
};

describe('service processes', () => {
  // auth-service runs on the stack's identity database here: its schema must be there to be ready.
  beforeAll(() => migrateStackDatabases(['auth-service']));

  it.each(Object.entries(REQUIRED))('%s exits non-zero naming %s when it is missing', async (app, variable) => {
    const env: NodeJS.ProcessEnv = { ...process.env, PORT: '3990' };
    delete env[variable];
    const svc = spawnService(app, env);
    const exit = await Promise.race([svc.exited, new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 30_000))]);
    if (exit === 'timeout') await svc.stop(1000);
    expect(exit).toEqual({ code: 1, signal: null });
    expect(svc.output()).toContain(`${variable}: is required`);
  });

  it('refuses development secrets in production mode, naming them', async () => {
    const svc = spawnService('config-service', { ...process.env, NODE_ENV: 'production', PORT: '3991' });
    expect(await svc.exited).toEqual({ code: 1, signal: null });
    expect(svc.output()).toContain('NODE_ENROLLMENT_TOKEN: development secret refused in production');
    expect(svc.output()).toContain('ADMIN_TOKEN: development secret refused in production');
    expect(svc.output()).not.toContain('dev-node-enrollment-token');
  });

  it('shuts down gracefully on SIGTERM: closes its connections, stops listening, ends by that signal', async () => {
    const port = 3992;
    const svc = spawnService('auth-service', { ...process.env, PORT: String(port), LOG_LEVEL: 'info' });
    try {
      await waitForHttp(`http://127.0.0.1:${port}/health/ready`);
      // A keep-alive connection that is idle must not hold the shutdown open.
      expect((await fetch(`http://127.0.0.1:${port}/health/live`)).status).toBe(200);
    } catch (e) {
      await svc.stop(1000);
      throw new Error(`${(e as Error).message}\n${svc.output()}`);
    }
    const started = Date.now();
    // Nest closes the app, then re-raises the signal: the process ends *by* SIGTERM (a SIGKILL
    // after the grace period would mean the shutdown hung).
    const exit = await svc.stop(15_000);
    // Anything else (a SIGABRT was seen once in CI) fails with the process's own words.
    if (exit.signal !== 'SIGTERM') throw new Error(`ended by ${JSON.stringify(exit)}, not SIGTERM; its output:\n${svc.output().slice(-8000)}`);
    expect(exit).toEqual({ code: null, signal: 'SIGTERM' });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(svc.output()).toContain('shut down cleanly');
    await expect(fetch(`http://127.0.0.1:${port}/health/live`)).rejects.toThrow();
  });
});
