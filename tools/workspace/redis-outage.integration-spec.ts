import { ServiceProcess, ThrowawayRedis, freeLoopbackPort, migrateStackDatabases, spawnService, waitForHttp } from '@phoenix/common/testing';

// Each service that uses Redis, as its own process on a redis-server of this suite's own, which is
// killed and started again on the same port: the outage is logged through the service's redacting
// logger (structured, rate-limited, no address) and the service heals by itself.
const SERVICES = ['job-worker', 'analytics-service', 'auth-service', 'config-service'];

type Line = Record<string, unknown> & { level?: number; msg?: string; connection?: string };

async function until<T>(what: string, timeoutMs: number, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

async function readyStatus(url: string): Promise<number> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(2000) })).status;
  } catch {
    return 0;
  }
}

/** Lines of `text`, each parsed as JSON, or kept as the raw string when it is not a JSON object. */
function parse(text: string): Array<Line | string> {
  return text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => {
      try {
        const v = JSON.parse(l) as unknown;
        return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Line) : l;
      } catch {
        return l;
      }
    });
}

const isLine = (l: Line | string): l is Line => typeof l !== 'string';

describe('a Redis outage, seen from each service process', () => {
  beforeAll(() => migrateStackDatabases(['auth-service', 'config-service']), 120_000);

  it.each(SERVICES)(
    '%s logs it as structured warnings without addresses, then recovers when Redis is back',
    async (app) => {
      const redis = await ThrowawayRedis.start();
      const port = await freeLoopbackPort();
      const ready = `http://127.0.0.1:${port}/health/ready`;
      let svc: ServiceProcess | undefined;
      try {
        svc = spawnService(app, { ...process.env, REDIS_URL: redis.url, PORT: String(port), HOST: '127.0.0.1', LOG_LEVEL: 'info' });
        const running = svc;
        await waitForHttp(ready, 60_000).catch((e: Error) => {
          throw new Error(`${e.message}\n${running.output()}`);
        });
        const before = svc.output().length;

        // A crash: nothing is said to the clients, their connections just drop and every reconnect is refused.
        const outageStart = Date.now();
        await redis.stop('SIGKILL');
        await until('readiness to report Redis down', 20_000, async () => ((await readyStatus(ready)) === 503 ? true : undefined));
        // Several reconnect attempts of every client (ioredis backs off to 2 s, the transport retries every second).
        await new Promise((r) => setTimeout(r, 5000));
        await redis.start();
        await waitForHttp(ready, 30_000).catch((e: Error) => {
          throw new Error(`${e.message}\n${running.output().slice(before)}`);
        });

        const failing = (lines: Array<Line | string>) => new Set(lines.filter(isLine).filter((l) => l.msg === 'Redis unavailable').map((l) => l.connection));
        const recovered = (lines: Array<Line | string>) => new Set(lines.filter(isLine).filter((l) => l.msg === 'Redis available again').map((l) => l.connection));
        // Every connection that logged the outage logs its end (a client may reconnect a moment
        // after readiness); not waited for forever: the assertions below say what is missing.
        await until('every connection to log its recovery', 20_000, () => {
          const lines = parse(running.output().slice(before));
          const down = failing(lines);
          return down.size > 0 && [...down].every((c) => recovered(lines).has(c)) ? true : undefined;
        }).catch(() => undefined);
        const outageMs = Date.now() - outageStart;
        const text = running.output().slice(before);
        const window = parse(text);

        expect(text).not.toContain('Unhandled error event');
        expect(text).not.toContain('[ioredis]');
        expect(text).not.toContain('127.0.0.1');
        // Every line is a JSON object from the service logger: nothing printed beside it.
        expect(window.filter((l) => !isLine(l))).toEqual([]);
        const lines = window.filter(isLine);

        const warnings = lines.filter((l) => l.level === 40 && (l.msg === 'Redis unavailable' || l.msg === 'Redis still unavailable'));
        expect(warnings.length).toBeGreaterThan(0);
        for (const w of warnings) expect(w).toMatchObject({ context: 'Redis', connection: expect.any(String), error: expect.any(String) });
        expect(warnings.some((w) => String(w.error).includes('ECONNREFUSED'))).toBe(true);
        // Rate-limited: per connection one line when the outage starts, then at most one per 30 s.
        for (const connection of failing(lines)) {
          const own = warnings.filter((w) => w.connection === connection);
          expect(own.filter((w) => w.msg === 'Redis unavailable')).toHaveLength(1);
          expect(own.length).toBeLessThanOrEqual(1 + Math.floor(outageMs / 30_000));
        }
        // No other line repeats the connection error (ioredis retries several times a second).
        expect(lines.filter((l) => JSON.stringify(l).includes('ECONNREFUSED') && !warnings.includes(l))).toEqual([]);
        expect([...recovered(lines)].sort()).toEqual([...failing(lines)].sort());
        const recoveries = lines.filter((l) => l.msg === 'Redis available again');
        for (const r of recoveries) expect(r).toMatchObject({ level: 30, failures: expect.any(Number), downForSec: expect.any(Number) });
      } finally {
        await svc?.stop();
        await redis.stop();
      }
    },
    180_000,
  );
});
