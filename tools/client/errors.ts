// Every failure the API can answer, as a message a person can act on.

export class ApiError extends Error {
  constructor(
    readonly service: string,
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    /** Seconds, from `Retry-After`. */
    readonly retryAfter?: number,
  ) {
    super(`${service}: ${status} ${code}: ${apiMessage}`);
  }
}

/** The service could not be reached at all. */
export class UnreachableError extends Error {
  constructor(
    readonly service: string,
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot reach ${service} at ${url}: ${(cause as Error)?.message ?? String(cause)}`);
  }
}

/** A failure of the client itself (bad input, missing state); its message is already for people. */
export class ClientError extends Error {}

/** Bad command-line usage (exit code 2). */
export class UsageError extends ClientError {}

export function formatDuration(seconds: number): string {
  if (seconds < 90) return `${seconds} s`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} min`;
  return `${Math.round(seconds / 360) / 10} h`;
}

const FIREBASE: Record<string, string> = {
  EMAIL_EXISTS: 'an account with this email already exists: use `signin`',
  EMAIL_NOT_FOUND: 'no account with this email: use `signup`',
  INVALID_PASSWORD: 'wrong password',
  INVALID_LOGIN_CREDENTIALS: 'wrong email or password',
  INVALID_EMAIL: 'not a valid email address',
  USER_DISABLED: 'this account is disabled',
  TOKEN_EXPIRED: 'the session expired: run `signin` again',
  INVALID_REFRESH_TOKEN: 'the session is no longer valid: run `signin` again',
};

/** One line (or two) telling the user what happened and what to do. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const s = error.service;
    switch (error.code) {
      case 'QUOTA_EXCEEDED':
        return `token quota reached for today (${s}).${error.retryAfter !== undefined ? ` Try again in ${formatDuration(error.retryAfter)} (Retry-After: ${error.retryAfter}).` : ' Try again later.'}`;
      case 'RATE_LIMITED':
        return `too many requests from this address (${s}'s gateway limits sign-in and token requests per address).${error.retryAfter !== undefined ? ` Try again in ${formatDuration(error.retryAfter)} (Retry-After: ${error.retryAfter}).` : ' Try again shortly.'}`;
      case 'NOT_ENTITLED':
        return 'no active subscription or trial, so no tokens: start the trial with `trial`, or subscribe (POST /billing/checkout). Tokens you already hold still work until they expire.';
      case 'TOKEN_REUSED':
        return 'that token was already spent (each token works once); it was removed. Run `redeem` again to use the next one.';
      case 'INVALID_TOKEN':
        return `config-service refused the token (${error.apiMessage}); it was removed. Run \`tokens\` for fresh ones if you have none left.`;
      case 'NO_CAPACITY':
        return 'no node in that location has room right now. Your token was NOT spent: try again shortly, or another location (`locations`).';
      case 'UNKNOWN_LOCATION':
        return 'no such location: `locations` lists them (or use --location auto).';
      case 'UNAVAILABLE':
        return `${s} is temporarily unavailable (${error.status} UNAVAILABLE: one of its dependencies is down). Nothing was spent or changed: try again ${error.retryAfter !== undefined ? `in ${formatDuration(error.retryAfter)} (Retry-After: ${error.retryAfter})` : 'shortly'}.`;
      case 'UNAUTHENTICATED':
        return 'not signed in, or the session expired: run `signin` (or `signup`).';
      case 'TRIAL_USED':
        return 'this account already had its trial.';
      default:
        if (FIREBASE[error.code]) return `Firebase: ${FIREBASE[error.code]}`;
        return `${s} answered ${error.status} ${error.code}: ${error.apiMessage}`;
    }
  }
  if (error instanceof UnreachableError) return `${error.message}\n  Is the platform running? (npm run platform -- --detach)`;
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Exit codes: 1 API refused, 2 usage, 3 unreachable/unavailable, 4 local failure. */
export function exitCodeFor(error: unknown): number {
  if (error instanceof ApiError) return error.code === 'UNAVAILABLE' || error.code === 'NO_CAPACITY' ? 3 : 1;
  if (error instanceof UnreachableError) return 3;
  if (error instanceof UsageError) return 2;
  return 4;
}
