import type { ExecutionContext } from '@nestjs/common';
import { AppError } from '../errors/app-error';
import { AdminGuard } from './admin.guard';

const TOKEN = 'dev-admin-token-for-tests';
const context = (authorization?: string) =>
  ({ switchToHttp: () => ({ getRequest: () => ({ headers: authorization === undefined ? {} : { authorization } }) }) }) as unknown as ExecutionContext;

function refusal(guard: AdminGuard, authorization?: string): AppError | undefined {
  try {
    guard.canActivate(context(authorization));
    return undefined;
  } catch (e) {
    return e as AppError;
  }
}

describe('AdminGuard', () => {
  const guard = new AdminGuard({ ADMIN_TOKEN: TOKEN });

  it('lets the admin token in, whatever the case of the scheme (RFC 7235 §2.1)', () => {
    expect(guard.canActivate(context(`Bearer ${TOKEN}`))).toBe(true);
    expect(guard.canActivate(context(`bearer ${TOKEN}`))).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['another scheme', `Basic ${TOKEN}`],
    ['a wrong token', 'Bearer dev-admin-token-wrong-one'],
    ['a prefix of the token', `Bearer ${TOKEN.slice(0, -1)}`],
    ['the token and more', `Bearer ${TOKEN}x`],
    ['an empty bearer', 'Bearer '],
  ])('refuses %s with 401 UNAUTHENTICATED and a Bearer challenge', (_name, header) => {
    const e = refusal(guard, header);
    expect(e).toBeInstanceOf(AppError);
    expect(e).toMatchObject({ status: 401, code: 'UNAUTHENTICATED', headers: { 'WWW-Authenticate': 'Bearer' } });
  });

  it.each([
    ['unset', {}],
    ['empty', { ADMIN_TOKEN: '' }],
  ])('refuses everything when ADMIN_TOKEN is %s', (_name, config) => {
    const open = new AdminGuard(config);
    for (const header of [undefined, 'Bearer ', 'Bearer x', `Bearer ${TOKEN}`]) expect(refusal(open, header)).toMatchObject({ status: 401 });
  });
});
