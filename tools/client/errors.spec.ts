import { ApiError, ClientError, describeError, exitCodeFor, formatDuration, UnreachableError, UsageError } from './errors';

describe('API failures as messages', () => {
  const api = (code: string, status = 400, retryAfter?: number, service = 'auth-service') => new ApiError(service, status, code, 'm', retryAfter);

  it.each<[string, ApiError, RegExp]>([
    ['QUOTA_EXCEEDED with Retry-After', api('QUOTA_EXCEEDED', 429, 3600), /quota reached .*Try again in 60 min \(Retry-After: 3600\)/],
    ['QUOTA_EXCEEDED without', api('QUOTA_EXCEEDED', 429), /quota reached.*Try again later/],
    ['RATE_LIMITED (the auth gateway) with Retry-After', api('RATE_LIMITED', 429, 6), /too many requests from this address \(auth-service's gateway .*Try again in 6 s \(Retry-After: 6\)/],
    ['NOT_ENTITLED', api('NOT_ENTITLED', 403), /no active subscription or trial.*`trial`/],
    ['TOKEN_REUSED', api('TOKEN_REUSED', 409, undefined, 'config-service'), /already spent.*removed/],
    ['INVALID_TOKEN', api('INVALID_TOKEN', 401, undefined, 'config-service'), /refused the token/],
    ['NO_CAPACITY', api('NO_CAPACITY', 503, undefined, 'config-service'), /no node .* room.*NOT spent/],
    ['UNKNOWN_LOCATION', api('UNKNOWN_LOCATION', 404, undefined, 'config-service'), /no such location: `locations`/],
    ['UNAVAILABLE', api('UNAVAILABLE', 503, undefined, 'config-service'), /config-service is temporarily unavailable.*Nothing was spent/],
    ['UNAUTHENTICATED', api('UNAUTHENTICATED', 401), /not signed in.*`signin`/],
    ['TRIAL_USED', api('TRIAL_USED', 409), /already had its trial/],
    ['Firebase EMAIL_EXISTS', api('EMAIL_EXISTS', 400, undefined, 'Firebase'), /Firebase: .*already exists: use `signin`/],
    ['anything else', api('VALIDATION_FAILED', 400), /auth-service answered 400 VALIDATION_FAILED: m/],
  ])('%s', (_n, error, message) => {
    expect(describeError(error)).toMatch(message);
  });

  it('says how to start the platform when a service is unreachable', () => {
    expect(describeError(new UnreachableError('auth-service', 'http://127.0.0.1:3001/account', new Error('connect ECONNREFUSED')))).toMatch(
      /cannot reach auth-service at http:\/\/127.0.0.1:3001\/account: connect ECONNREFUSED\n.*npm run platform/,
    );
  });

  it('maps failures to exit codes', () => {
    expect(exitCodeFor(api('NOT_ENTITLED', 403))).toBe(1);
    expect(exitCodeFor(api('UNAVAILABLE', 503))).toBe(3);
    expect(exitCodeFor(api('NO_CAPACITY', 503))).toBe(3);
    expect(exitCodeFor(new UnreachableError('x', 'u', new Error('e')))).toBe(3);
    expect(exitCodeFor(new UsageError('u'))).toBe(2);
    expect(exitCodeFor(new ClientError('c'))).toBe(4);
  });

  it('formats durations', () => {
    expect(formatDuration(30)).toBe('30 s');
    expect(formatDuration(600)).toBe('10 min');
    expect(formatDuration(7200)).toBe('2 h');
  });
});
