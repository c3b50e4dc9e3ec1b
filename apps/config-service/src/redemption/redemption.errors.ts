import { AppError, ErrorCode } from '@phoenix/common';

export function invalidToken(why: string, headers: Record<string, string> = {}): AppError {
  return new AppError(ErrorCode.INVALID_TOKEN, why, { headers });
}

export function badRequest(why: string): AppError {
  return new AppError(ErrorCode.VALIDATION_FAILED, why);
}

export function tokenReused(): AppError {
  return new AppError(ErrorCode.TOKEN_REUSED, 'this token was already used');
}

export function noCapacity(): AppError {
  return new AppError(ErrorCode.NO_CAPACITY, 'no server in this location has room right now; your token was not used');
}
