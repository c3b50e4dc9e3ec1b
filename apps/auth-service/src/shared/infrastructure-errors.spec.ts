import { AppError, ErrorCode } from '@phoenix/common';
import { isInfrastructureError, mapInfrastructureError } from './infrastructure-errors';

const pgError = (code: string, message = 'pg') => Object.assign(new Error(message), { code });

describe('isInfrastructureError', () => {
  it.each<[string, unknown]>([
    ['a refused connection', new Error('connect ECONNREFUSED [ip]:5432')],
    ['a lost Postgres connection (08006)', pgError('08006')],
    ['Postgres shutting down (57P01)', pgError('57P01')],
    ['too many connections (53300)', pgError('53300')],
    ['an unmigrated schema (42P01 undefined table)', pgError('42P01', 'relation "issuer_keys" does not exist')],
    ['ioredis giving up', Object.assign(new Error('x'), { name: 'MaxRetriesPerRequestError' })],
  ])('is true for %s', (_name, e) => {
    expect(isInfrastructureError(e)).toBe(true);
  });

  it.each<[string, unknown]>([
    ['a unique violation (23505)', pgError('23505')],
    ['a bug', new TypeError('x is not a function')],
    ['a non-error', 'ECONNREFUSED'],
  ])('is false for %s', (_name, e) => {
    expect(isInfrastructureError(e)).toBe(false);
  });
});

describe('mapInfrastructureError', () => {
  it('turns a dependency failure into 503 UNAVAILABLE naming the dependency', () => {
    expect(() => mapInfrastructureError(pgError('42P01'), 'issuer key store')).toThrow(expect.objectContaining({ code: ErrorCode.UNAVAILABLE, message: expect.stringContaining('issuer key store') }));
  });

  it('rethrows AppErrors and bugs unchanged', () => {
    const appError = new AppError(ErrorCode.NOT_ENTITLED, 'no');
    expect(() => mapInfrastructureError(appError)).toThrow(appError);
    const bug = new TypeError('x');
    expect(() => mapInfrastructureError(bug)).toThrow(bug);
  });
});
