import { Injectable } from '@nestjs/common';

/**
 * What failed, when `error` is a dependency's failure (its database or Redis down, a connection
 * lost, a command timed out) rather than a bug: the dependency's name for the `503` message
 * (`database`, `redis`, …); undefined for anything else.
 */
export type DependencyFailureTest = (error: unknown) => string | undefined;

/**
 * The one place that tells a dependency's failure from a bug. The data-access layer registers a
 * test for the drivers it knows (libs/database's Postgres and Redis modules do); the global
 * {@link HttpErrorFilter} and the raw router ask here about every error that is not already an
 * `AppError`, so a dependency that is down answers `503 UNAVAILABLE` (the cause logged, never
 * sent) and anything else a bare `500`. Handlers neither catch nor wrap for it.
 */
@Injectable()
export class DependencyFailures {
  private readonly tests = new Set<DependencyFailureTest>();

  register(test: DependencyFailureTest): void {
    this.tests.add(test);
  }

  /** The failed dependency's name, or undefined when `error` is not a dependency's failure. */
  readonly of: DependencyFailureTest = (error) => {
    for (const test of this.tests) {
      const what = test(error);
      if (what !== undefined) return what;
    }
    return undefined;
  };
}
