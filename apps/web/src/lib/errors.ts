// Every failure a page can meet, turned once into a message a person can act on (API.md's codes,
// Firebase Auth's, and the network). Components show `describeError(e)`; they never switch on codes.

export type Service = 'auth-service' | 'config-service' | 'Firebase';

/** A service answered with an error (API.md "Conventions": `{statusCode, error, code, message}`). */
export class ApiError extends Error {
  constructor(
    readonly service: Service,
    readonly status: number,
    readonly code: string,
    readonly apiMessage: string,
    /** Seconds, from `Retry-After`. */
    readonly retryAfter?: number,
  ) {
    super(`${service}: ${status} ${code}: ${apiMessage}`);
    this.name = 'ApiError';
  }
}

/** The request never got an answer (offline, refused, blocked by CORS). */
export class NetworkError extends Error {
  constructor(readonly service: Service) {
    super(`cannot reach ${service}`);
    this.name = 'NetworkError';
  }
}

/** "in 3 min", "in 2.5 h": how long until Retry-After has passed. */
export function formatWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} seconds`;
  if (seconds < 5400) return `${Math.round(seconds / 60)} minutes`;
  return `${Math.round(seconds / 360) / 10} hours`;
}

const FIREBASE: Record<string, string> = {
  'auth/email-already-in-use': 'An account with this email already exists. Sign in instead.',
  'auth/invalid-credential': 'Wrong email or password.',
  'auth/invalid-login-credentials': 'Wrong email or password.',
  'auth/wrong-password': 'Wrong email or password.',
  'auth/user-not-found': 'No account with this email. Create one instead.',
  'auth/invalid-email': 'That is not a valid email address.',
  'auth/weak-password': 'Choose a longer password (at least 8 characters).',
  'auth/too-many-requests': 'Too many attempts. Wait a few minutes, then try again.',
  'auth/user-disabled': 'This account has been disabled.',
  'auth/network-request-failed': 'Cannot reach the sign-in service. Check your connection and try again.',
  'auth/user-token-expired': 'Your session expired. Sign in again.',
  'auth/requires-recent-login': 'Sign in again to do this.',
};

/** One or two sentences telling the user what happened and what to do next. */
export function describeError(error: unknown): string {
  if (error instanceof ApiError) {
    const wait = error.retryAfter !== undefined ? `in ${formatWait(error.retryAfter)}` : 'later';
    switch (error.code) {
      case 'UNAUTHENTICATED':
        return 'Your session has expired. Sign in again.';
      case 'NOT_ENTITLED':
        return 'You need an active subscription or trial to get new tokens. Start the trial or subscribe on your Account page. Tokens already in this browser keep working until they expire.';
      case 'QUOTA_EXCEEDED':
        return `You have reached today’s limit of anonymous tokens. Try again ${wait}.`;
      case 'TRIAL_USED':
        return 'This account has already used its free trial. Subscribe to continue.';
      case 'INVALID_TOKEN':
        return 'The server did not accept this token (it may have expired with its key). It was discarded; fetch fresh tokens and try again.';
      case 'TOKEN_REUSED':
        return 'This token was already used (each works once). It was discarded; fetch fresh tokens and try again.';
      case 'UNKNOWN_LOCATION':
        return 'That location no longer exists. Pick another one.';
      case 'NO_CAPACITY':
        return 'No server in that location has room right now. Your token was not used: try again shortly or pick another location.';
      case 'UNAVAILABLE':
        return `${error.service === 'config-service' ? 'The config service' : 'The account service'} is temporarily unavailable. Nothing was spent or changed. Try again ${wait === 'later' ? 'in a moment' : wait}.`;
      case 'RATE_LIMITED':
        return `Too many requests. Try again ${wait}.`;
      case 'VALIDATION_FAILED':
        return `Some values were not accepted: ${error.apiMessage}`;
      case 'MALFORMED_BODY':
      case 'BAD_REQUEST':
      case 'BODY_TOO_COMPLEX':
      case 'PAYLOAD_TOO_LARGE':
      case 'UNSUPPORTED_MEDIA_TYPE':
      case 'UNKNOWN_KEY_ID':
        return `The request was refused (${error.code}). Reload the page and try again.`;
      case 'FORBIDDEN':
        return 'You are not allowed to do that.';
      case 'NOT_FOUND':
        return 'Not found. It may already be gone.';
      case 'CONFLICT':
        return `That conflicts with the current state: ${error.apiMessage}`;
      default:
        if (error.service === 'Firebase') return FIREBASE[error.code] ?? `Sign-in failed (${error.code}).`;
        return `Something went wrong (${error.status} ${error.code}). Try again in a moment.`;
    }
  }
  if (error instanceof NetworkError) return `Cannot reach ${error.service === 'config-service' ? 'the config service' : error.service === 'Firebase' ? 'the sign-in service' : 'the account service'}. Check your connection and try again.`;
  if (typeof error === 'object' && error !== null && typeof (error as { code?: unknown }).code === 'string' && String((error as { code: string }).code).startsWith('auth/')) {
    const code = (error as { code: string }).code;
    return FIREBASE[code] ?? `Sign-in failed (${code}).`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Whether a failed redemption used the token up (TOKEN_REUSED, INVALID_TOKEN): otherwise it is kept. */
export function tokenSpentBy(error: unknown): boolean {
  return error instanceof ApiError && error.service === 'config-service' && (error.code === 'TOKEN_REUSED' || error.code === 'INVALID_TOKEN');
}
