import { ErrorCode, httpStatusFor } from './error-codes';

export interface AppErrorOptions {
  /** Extra response headers, e.g. `Retry-After` or `WWW-Authenticate`. */
  headers?: Record<string, string>;
  /** Safe, client-facing detail (never internals). */
  details?: unknown;
  cause?: unknown;
}

/**
 * The one error type services throw for expected failures. The global filter turns it into
 * `{statusCode, error, code, message}` with the status from {@link httpStatusFor}.
 */
export class AppError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly details?: unknown;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'AppError';
    this.status = httpStatusFor(code);
    this.headers = options.headers ?? {};
    this.details = options.details;
  }

  /** A dependency (database, Redis, …) is down: `503 UNAVAILABLE`, nothing granted. */
  static unavailable(what: string, cause?: unknown): AppError {
    return new AppError(ErrorCode.UNAVAILABLE, `${what} is unavailable; try again later`, { cause });
  }
}
