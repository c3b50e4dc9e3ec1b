import { AppError } from '@phoenix/common';

/**
 * Runs `work` against a dependency; anything it throws that is not already an AppError (or one of
 * the `outcomes`: domain errors `work` throws on purpose) means the dependency failed (down, timed
 * out, connection lost) and becomes `503 UNAVAILABLE` — fail closed.
 */
export async function orUnavailable<T>(what: string, work: () => Promise<T>, outcomes: ReadonlyArray<abstract new (...args: never[]) => Error> = []): Promise<T> {
  try {
    return await work();
  } catch (e) {
    if (e instanceof AppError || outcomes.some((o) => e instanceof o)) throw e;
    throw AppError.unavailable(what, e);
  }
}
