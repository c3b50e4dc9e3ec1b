import { AppError } from '@phoenix/common';

/**
 * Runs `work` against a dependency; anything it throws that is not already an AppError means the
 * dependency failed (down, timed out, connection lost) and becomes `503 UNAVAILABLE` — fail closed.
 */
export async function orUnavailable<T>(what: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof AppError) throw e;
    throw AppError.unavailable(what, e);
  }
}
