import type { ExecutionContext } from '@nestjs/common';
import { AppError } from '@phoenix/common';
import { DashboardAdminGuard, StatsAdminGuard } from './admin-credentials.guard';

const TOKEN = 'analytics-admin-token-for-the-spec';

function context(authorization?: string): ExecutionContext {
  const req = { headers: authorization === undefined ? {} : { authorization } };
  return { switchToHttp: () => ({ getRequest: () => req }) } as unknown as ExecutionContext;
}

function challenge(guard: { canActivate(c: ExecutionContext): boolean }, authorization?: string): string | undefined {
  try {
    guard.canActivate(context(authorization));
  } catch (e) {
    expect(e).toBeInstanceOf(AppError);
    expect((e as AppError).code).toBe('UNAUTHENTICATED');
    return (e as AppError).headers['WWW-Authenticate'];
  }
  return undefined;
}

const basic = (userPass: string): string => `Basic ${Buffer.from(userPass, 'utf8').toString('base64')}`;

describe.each([
  ['StatsAdminGuard', StatsAdminGuard, 'Bearer'],
  ['DashboardAdminGuard', DashboardAdminGuard, 'Basic realm="Phoenix analytics", charset="UTF-8"'],
])('%s', (_name, Guard, expected) => {
  const guard = new Guard({ ADMIN_TOKEN: TOKEN });

  it('admits the token as Bearer, in any case of the scheme', () => {
    expect(guard.canActivate(context(`Bearer ${TOKEN}`))).toBe(true);
    expect(guard.canActivate(context(`bearer ${TOKEN}`))).toBe(true);
  });

  it('admits the token as the Basic password, whatever the user name (a colon in the password kept)', () => {
    expect(guard.canActivate(context(basic(`admin:${TOKEN}`)))).toBe(true);
    expect(guard.canActivate(context(basic(`:${TOKEN}`)))).toBe(true);
    const withColon = new Guard({ ADMIN_TOKEN: 'a:b' });
    expect(withColon.canActivate(context(basic('x:a:b')))).toBe(true);
  });

  it.each([
    ['no header', undefined],
    ['a wrong Bearer token', `Bearer ${TOKEN}x`],
    ['the token as the Basic user name', basic(`${TOKEN}:`)],
    ['Basic without a colon', basic(TOKEN)],
    ['a wrong Basic password', basic('admin:nope')],
    ['Basic that is not base64', `Basic ${TOKEN}!`],
    ['another scheme', `Token ${TOKEN}`],
    ['the bare token', TOKEN],
  ])(`refuses %s with 401 and WWW-Authenticate: ${expected}`, (_what, header) => {
    expect(challenge(guard, header)).toBe(expected);
  });

  it('refuses everyone when no ADMIN_TOKEN is configured', () => {
    const closed = new Guard({ ADMIN_TOKEN: '' });
    expect(challenge(closed, basic('admin:'))).toBe(expected);
    expect(challenge(closed, 'Bearer x')).toBe(expected);
  });
});
