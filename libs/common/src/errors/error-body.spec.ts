import { BadRequestException, HttpException, NotFoundException } from '@nestjs/common';
import { AppError } from './app-error';
import { toErrorResponse } from './error-body';
import { ErrorCode, httpStatusFor } from './error-codes';

describe('error codes', () => {
  it('gives every code an HTTP status in the 4xx/5xx range', () => {
    for (const code of Object.values(ErrorCode)) {
      const status = httpStatusFor(code);
      expect(status).toBeGreaterThanOrEqual(400);
      expect(status).toBeLessThan(600);
    }
  });

  it.each([
    [ErrorCode.TOKEN_REUSED, 409],
    [ErrorCode.NOT_ENTITLED, 403],
    [ErrorCode.QUOTA_EXCEEDED, 429],
    [ErrorCode.NO_CAPACITY, 503],
    [ErrorCode.UNAVAILABLE, 503],
    [ErrorCode.INVALID_TOKEN, 401],
    [ErrorCode.UNKNOWN_LOCATION, 404],
    [ErrorCode.UNKNOWN_PANEL, 404],
    [ErrorCode.BAD_SIGNATURE, 400],
    [ErrorCode.TRIAL_USED, 409],
    [ErrorCode.INVALID_API_KEY, 401],
    [ErrorCode.INVALID_CREDENTIALS, 401],
    [ErrorCode.TENANT_SUSPENDED, 403],
    [ErrorCode.PLAN_LIMIT, 403],
    [ErrorCode.EMAIL_TAKEN, 409],
  ])('maps %s to %i as API.md says', (code, status) => {
    expect(httpStatusFor(code)).toBe(status);
  });
});

describe('toErrorResponse', () => {
  it('renders an AppError in the contract shape with its headers', () => {
    const res = toErrorResponse(new AppError(ErrorCode.QUOTA_EXCEEDED, 'daily token quota used', { headers: { 'Retry-After': '3600' } }));
    expect(res).toEqual({
      status: 429,
      body: { statusCode: 429, error: 'Too Many Requests', code: 'QUOTA_EXCEEDED', message: 'daily token quota used' },
      headers: { 'Retry-After': '3600' },
      unexpected: false,
    });
  });

  it('maps framework HTTP exceptions to codes by status', () => {
    expect(toErrorResponse(new NotFoundException('Cannot GET /x')).body).toMatchObject({ statusCode: 404, code: 'NOT_FOUND', message: 'Cannot GET /x' });
    expect(toErrorResponse(new BadRequestException(['a must be a string', 'b is missing'])).body).toMatchObject({ code: 'BAD_REQUEST', message: 'a must be a string; b is missing' });
    expect(toErrorResponse(new HttpException('too big', 413)).body.code).toBe('PAYLOAD_TOO_LARGE');
    expect(toErrorResponse(new HttpException('nope', 415)).body.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('turns unknown errors into a bare 500 that leaks nothing', () => {
    const res = toErrorResponse(new Error('connect ECONNREFUSED 127.0.0.1:5432 SELECT * FROM users'));
    expect(res.status).toBe(500);
    expect(res.unexpected).toBe(true);
    expect(res.body).toEqual({ statusCode: 500, error: 'Internal Server Error', code: 'INTERNAL', message: 'Internal server error' });
  });

  it('keeps the cause of a 503 for the log and out of the body', () => {
    const res = toErrorResponse(AppError.unavailable('issuer key', new Error('connect ECONNREFUSED 127.0.0.1:5432')));
    expect(res.status).toBe(503);
    expect(res.unexpected).toBe(false);
    expect(res.body.message).toBe('issuer key is unavailable; try again later');
    expect(JSON.stringify(res.body)).not.toContain('ECONNREFUSED');
    expect(res.logReason).toBe('issuer key is unavailable; try again later (Error: connect ECONNREFUSED 127.0.0.1:5432)');
    expect(toErrorResponse(AppError.unavailable('redis')).logReason).toBe('redis is unavailable; try again later');
    expect(toErrorResponse(new AppError(ErrorCode.QUOTA_EXCEEDED, 'used')).logReason).toBeUndefined();
  });

  it('answers 503 UNAVAILABLE for an error the dependency-failure test names, its cause in the log only', () => {
    const down = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const test = (e: unknown) => ((e as { code?: string }).code === 'ECONNREFUSED' ? 'database' : undefined);
    const res = toErrorResponse(down, test);
    expect(res).toMatchObject({ status: 503, unexpected: false, body: { statusCode: 503, code: 'UNAVAILABLE', message: 'database is unavailable; try again later' } });
    expect(JSON.stringify(res.body)).not.toContain('ECONNREFUSED');
    expect(res.logReason).toBe('database is unavailable; try again later (Error: connect ECONNREFUSED 127.0.0.1:5432)');
    // What the test does not name stays a bare 500; AppErrors and framework errors keep their own status.
    expect(toErrorResponse(new TypeError('x is not a function'), test).status).toBe(500);
    expect(toErrorResponse(new AppError(ErrorCode.NOT_ENTITLED, 'no'), () => 'database').status).toBe(403);
    expect(toErrorResponse(new NotFoundException('Cannot GET /x'), () => 'database').status).toBe(404);
  });

  it('hides the message of framework 5xx exceptions too', () => {
    expect(toErrorResponse(new HttpException('db password wrong', 500)).body.message).toBe('Internal server error');
  });
});
