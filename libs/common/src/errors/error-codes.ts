/**
 * Stable error codes of the wire contract (API.md, "Conventions"). Clients switch on these, so a
 * code is never renamed; add new ones at the end of the relevant group.
 */
export const ErrorCode = {
  // 400
  BAD_REQUEST: 'BAD_REQUEST',
  MALFORMED_BODY: 'MALFORMED_BODY',
  VALIDATION_FAILED: 'VALIDATION_FAILED',
  BAD_SIGNATURE: 'BAD_SIGNATURE',
  UNKNOWN_KEY_ID: 'UNKNOWN_KEY_ID',
  BODY_TOO_COMPLEX: 'BODY_TOO_COMPLEX',
  // 401
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  INVALID_TOKEN: 'INVALID_TOKEN',
  INVALID_API_KEY: 'INVALID_API_KEY',
  INVALID_CREDENTIALS: 'INVALID_CREDENTIALS',
  // 403
  FORBIDDEN: 'FORBIDDEN',
  NOT_ENTITLED: 'NOT_ENTITLED',
  TENANT_SUSPENDED: 'TENANT_SUSPENDED',
  PLAN_LIMIT: 'PLAN_LIMIT',
  // 404
  NOT_FOUND: 'NOT_FOUND',
  UNKNOWN_LOCATION: 'UNKNOWN_LOCATION',
  UNKNOWN_PANEL: 'UNKNOWN_PANEL',
  UNKNOWN_LEASE: 'UNKNOWN_LEASE',
  UNKNOWN_ISSUER: 'UNKNOWN_ISSUER',
  // 405
  METHOD_NOT_ALLOWED: 'METHOD_NOT_ALLOWED',
  // 409
  CONFLICT: 'CONFLICT',
  TOKEN_REUSED: 'TOKEN_REUSED',
  TRIAL_USED: 'TRIAL_USED',
  EMAIL_TAKEN: 'EMAIL_TAKEN',
  // 410
  NODE_DECOMMISSIONED: 'NODE_DECOMMISSIONED',
  // 413
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  // 415
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  // 429
  QUOTA_EXCEEDED: 'QUOTA_EXCEEDED',
  RATE_LIMITED: 'RATE_LIMITED',
  // 500
  INTERNAL: 'INTERNAL',
  // 503
  UNAVAILABLE: 'UNAVAILABLE',
  NO_CAPACITY: 'NO_CAPACITY',
} as const;

export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * The HTTP status of each code. The switch is exhaustive: adding a code without a status fails to
 * compile (the `never` check), so no code can fall through to a default.
 */
export function httpStatusFor(code: ErrorCode): number {
  switch (code) {
    case ErrorCode.BAD_REQUEST:
    case ErrorCode.MALFORMED_BODY:
    case ErrorCode.VALIDATION_FAILED:
    case ErrorCode.BAD_SIGNATURE:
    case ErrorCode.UNKNOWN_KEY_ID:
    case ErrorCode.BODY_TOO_COMPLEX:
      return 400;
    case ErrorCode.UNAUTHENTICATED:
    case ErrorCode.INVALID_TOKEN:
    case ErrorCode.INVALID_API_KEY:
    case ErrorCode.INVALID_CREDENTIALS:
      return 401;
    case ErrorCode.FORBIDDEN:
    case ErrorCode.NOT_ENTITLED:
    case ErrorCode.TENANT_SUSPENDED:
    case ErrorCode.PLAN_LIMIT:
      return 403;
    case ErrorCode.NOT_FOUND:
    case ErrorCode.UNKNOWN_LOCATION:
    case ErrorCode.UNKNOWN_PANEL:
    case ErrorCode.UNKNOWN_LEASE:
    case ErrorCode.UNKNOWN_ISSUER:
      return 404;
    case ErrorCode.METHOD_NOT_ALLOWED:
      return 405;
    case ErrorCode.CONFLICT:
    case ErrorCode.TOKEN_REUSED:
    case ErrorCode.TRIAL_USED:
    case ErrorCode.EMAIL_TAKEN:
      return 409;
    case ErrorCode.NODE_DECOMMISSIONED:
      return 410;
    case ErrorCode.PAYLOAD_TOO_LARGE:
      return 413;
    case ErrorCode.UNSUPPORTED_MEDIA_TYPE:
      return 415;
    case ErrorCode.QUOTA_EXCEEDED:
    case ErrorCode.RATE_LIMITED:
      return 429;
    case ErrorCode.INTERNAL:
      return 500;
    case ErrorCode.UNAVAILABLE:
    case ErrorCode.NO_CAPACITY:
      return 503;
    default: {
      const unreachable: never = code;
      throw new Error(`no HTTP status for error code ${String(unreachable)}`);
    }
  }
}

/** The code a bare HTTP status maps to when a framework (not our code) raised the error. */
export function errorCodeForStatus(status: number): ErrorCode {
  switch (status) {
    case 400:
      return ErrorCode.BAD_REQUEST;
    case 401:
      return ErrorCode.UNAUTHENTICATED;
    case 403:
      return ErrorCode.FORBIDDEN;
    case 404:
      return ErrorCode.NOT_FOUND;
    case 405:
      return ErrorCode.METHOD_NOT_ALLOWED;
    case 409:
      return ErrorCode.CONFLICT;
    case 413:
      return ErrorCode.PAYLOAD_TOO_LARGE;
    case 415:
      return ErrorCode.UNSUPPORTED_MEDIA_TYPE;
    case 429:
      return ErrorCode.RATE_LIMITED;
    case 503:
      return ErrorCode.UNAVAILABLE;
    default:
      return status >= 400 && status < 500 ? ErrorCode.BAD_REQUEST : ErrorCode.INTERNAL;
  }
}
