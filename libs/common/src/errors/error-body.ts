import { STATUS_CODES } from 'node:http';
import { HttpException } from '@nestjs/common';
import { AppError } from './app-error';
import type { DependencyFailureTest } from './dependency-failure';
import { ErrorCode, errorCodeForStatus } from './error-codes';

/** The error body of the wire contract (API.md "Conventions"). */
export interface ErrorBody {
  statusCode: number;
  error: string;
  code: ErrorCode;
  message: string;
  details?: unknown;
}

export interface ErrorResponse {
  status: number;
  body: ErrorBody;
  headers: Record<string, string>;
  /** True when the error was not expected (a bug or an unknown failure): log it with its stack. */
  unexpected: boolean;
  /**
   * For an expected server-side error (e.g. `503 UNAVAILABLE`): why, for the log only — the
   * message and its cause's, never sent to the client.
   */
  logReason?: string;
}

function reasonOf(err: AppError): string | undefined {
  if (err.status < 500) return undefined;
  const cause = err.cause instanceof Error ? `${err.cause.name}: ${err.cause.message}` : err.cause !== undefined ? String(err.cause) : '';
  return cause ? `${err.message} (${cause})` : err.message;
}

function body(status: number, code: ErrorCode, message: string, details?: unknown): ErrorBody {
  const b: ErrorBody = { statusCode: status, error: STATUS_CODES[status] ?? 'Error', code, message };
  if (details !== undefined) b.details = details;
  return b;
}

/**
 * Maps anything thrown while serving a request to the contract's error response. An unknown error
 * that `dependencyFailure` names is `503 UNAVAILABLE` (its cause in `logReason` only); any other
 * becomes a bare 500 whose message says nothing about the cause (no stack, SQL, hosts or secrets).
 */
export function toErrorResponse(err: unknown, dependencyFailure?: DependencyFailureTest): ErrorResponse {
  if (err instanceof AppError) {
    return { status: err.status, body: body(err.status, err.code, err.message, err.details), headers: err.headers, unexpected: false, logReason: reasonOf(err) };
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const res = err.getResponse();
    const code = errorCodeForStatus(status);
    let message = err.message;
    if (typeof res === 'object' && res !== null && 'message' in res) {
      const m = (res as { message: unknown }).message;
      message = Array.isArray(m) ? m.join('; ') : String(m);
    }
    if (status >= 500) return { status: 500, body: body(500, ErrorCode.INTERNAL, 'Internal server error'), headers: {}, unexpected: true };
    return { status, body: body(status, code, message), headers: {}, unexpected: false };
  }
  // Other 4xx raised by the HTTP layer itself (e.g. a body that is not valid for its parser).
  const statusCode = typeof err === 'object' && err !== null ? (err as { statusCode?: unknown }).statusCode : undefined;
  if (typeof statusCode === 'number' && statusCode >= 400 && statusCode < 500) {
    return { status: statusCode, body: body(statusCode, errorCodeForStatus(statusCode), STATUS_CODES[statusCode] ?? 'Bad request'), headers: {}, unexpected: false };
  }
  const failed = dependencyFailure?.(err);
  if (failed !== undefined) return toErrorResponse(AppError.unavailable(failed, err));
  return { status: 500, body: body(500, ErrorCode.INTERNAL, 'Internal server error'), headers: {}, unexpected: true };
}
