import { describe, expect, it } from 'vitest';
import { ApiError, NetworkError, describeError, tokenSpentBy } from './errors';

describe('error messages', () => {
  it('names every API.md code a page can meet with something to do', () => {
    const cases: Array<[ApiError, RegExp]> = [
      [new ApiError('auth-service', 401, 'UNAUTHENTICATED', ''), /Sign in again/],
      [new ApiError('auth-service', 403, 'NOT_ENTITLED', ''), /Start the trial or subscribe/],
      [new ApiError('auth-service', 429, 'QUOTA_EXCEEDED', '', 7200), /limit.*Try again in 2 hours/],
      [new ApiError('auth-service', 429, 'QUOTA_EXCEEDED', '', 300), /in 5 minutes/],
      [new ApiError('auth-service', 409, 'TRIAL_USED', ''), /already used its free trial/],
      [new ApiError('config-service', 409, 'TOKEN_REUSED', ''), /already used.*fetch fresh tokens/],
      [new ApiError('config-service', 401, 'INVALID_TOKEN', ''), /fetch fresh tokens/],
      [new ApiError('config-service', 503, 'NO_CAPACITY', ''), /No server in that location has room.*not used/],
      [new ApiError('config-service', 404, 'UNKNOWN_LOCATION', ''), /Pick another one/],
      [new ApiError('config-service', 503, 'UNAVAILABLE', '', 30), /config service is temporarily unavailable.*Nothing was spent.*30 seconds/],
      [new ApiError('auth-service', 400, 'VALIDATION_FAILED', 'defaultLocation must be a location id'), /not accepted: defaultLocation/],
      [new ApiError('auth-service', 400, 'MALFORMED_BODY', ''), /refused \(MALFORMED_BODY\)/],
      [new ApiError('auth-service', 500, 'INTERNAL', 'secret detail'), /Something went wrong \(500 INTERNAL\)/],
    ];
    for (const [error, message] of cases) expect(describeError(error)).toMatch(message);
    expect(describeError(new ApiError('auth-service', 500, 'INTERNAL', 'secret detail'))).not.toContain('secret detail');
  });

  it('explains Firebase sign-in failures and unreachable services', () => {
    expect(describeError(Object.assign(new Error('x'), { code: 'auth/email-already-in-use' }))).toMatch(/already exists/);
    expect(describeError(Object.assign(new Error('x'), { code: 'auth/invalid-credential' }))).toBe('Wrong email or password.');
    expect(describeError(new NetworkError('config-service'))).toMatch(/Cannot reach the config service/);
  });

  it('treats only TOKEN_REUSED and INVALID_TOKEN from config-service as spending the token', () => {
    expect(tokenSpentBy(new ApiError('config-service', 409, 'TOKEN_REUSED', ''))).toBe(true);
    expect(tokenSpentBy(new ApiError('config-service', 401, 'INVALID_TOKEN', ''))).toBe(true);
    for (const code of ['NO_CAPACITY', 'UNAVAILABLE', 'UNKNOWN_LOCATION']) expect(tokenSpentBy(new ApiError('config-service', 503, code, ''))).toBe(false);
    expect(tokenSpentBy(new NetworkError('config-service'))).toBe(false);
  });
});
