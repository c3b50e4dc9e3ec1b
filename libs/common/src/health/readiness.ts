/** One dependency a service needs before it can serve: `check` resolves when it is reachable. */
export interface ReadinessCheck {
  name: string;
  check: () => Promise<unknown>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

export type CheckStatus = 'up' | 'down';

/** Runs every check in parallel, each bounded by `timeoutMs`, and reports each one's status. */
export async function runReadinessChecks(checks: ReadinessCheck[], timeoutMs = 2000): Promise<Record<string, CheckStatus>> {
  const results = await Promise.all(
    checks.map(async (c) => {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          c.check(),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error('timeout')), timeoutMs);
          }),
        ]);
        return [c.name, 'up'] as const;
      } catch {
        return [c.name, 'down'] as const;
      } finally {
        if (timer) clearTimeout(timer);
      }
    }),
  );
  return Object.fromEntries(results);
}
