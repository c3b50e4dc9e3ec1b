import { z } from 'zod';
import { ConfigError, env, loadConfig, secretKeys } from './env';

const shape = {
  PORT: env.port(3000),
  DB_URL: env.url(['postgres:']),
  FLAG: env.bool(false),
  ADMIN_TOKEN: env.secret('dev-admin-token-for-tests'),
  NAME: z.string().min(1),
};

describe('loadConfig', () => {
  it('parses and applies defaults', () => {
    const c = loadConfig(shape, { DB_URL: 'postgres://u:p@127.0.0.1/db', NAME: 'x' });
    expect(c).toEqual({ PORT: 3000, DB_URL: 'postgres://u:p@127.0.0.1/db', FLAG: false, ADMIN_TOKEN: 'dev-admin-token-for-tests', NAME: 'x' });
  });

  it('names every missing and malformed variable, never its value', () => {
    let err: ConfigError | undefined;
    try {
      loadConfig(shape, { DB_URL: 'mysql://secret-password@h/db', PORT: 'abc' });
    } catch (e) {
      err = e as ConfigError;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect(err!.problems.join('\n')).toMatch(/DB_URL: must be a URL \(postgres:\)/);
    expect(err!.problems.join('\n')).toMatch(/PORT:/);
    expect(err!.problems.join('\n')).toMatch(/NAME: is required/);
    expect(err!.message).not.toContain('secret-password');
  });

  it('treats an empty variable as unset', () => {
    expect(() => loadConfig(shape, { DB_URL: '', NAME: 'x' })).toThrow(/DB_URL: is required/);
  });

  it('refuses development secrets in production but accepts real ones', () => {
    const base = { DB_URL: 'postgres://h/db', NAME: 'x', NODE_ENV: 'production' };
    expect(() => loadConfig(shape, base)).toThrow(/ADMIN_TOKEN: development secret refused in production/);
    expect(() => loadConfig(shape, { ...base, ADMIN_TOKEN: 'dev-someone-typed-this' })).toThrow(/ADMIN_TOKEN/);
    expect(loadConfig(shape, { ...base, ADMIN_TOKEN: 'a-real-random-secret-value' }).ADMIN_TOKEN).toBe('a-real-random-secret-value');
  });

  it('rejects short secrets and lists secret keys for redaction', () => {
    expect(() => loadConfig(shape, { DB_URL: 'postgres://h/db', NAME: 'x', ADMIN_TOKEN: 'short' })).toThrow(/ADMIN_TOKEN: must be at least 16/);
    expect(secretKeys(shape)).toEqual(['ADMIN_TOKEN']);
  });

  it('refuses a development default that does not look like one', () => {
    expect(() => env.secret('admin')).toThrow(/must start with "dev-"/);
  });

  it("applies the config's own rules once the shape parsed, naming every problem", () => {
    const rules = (c: { FLAG: boolean; NAME: string; PORT: number }) => [
      ...(c.FLAG && c.NAME !== 'flagged' ? ['NAME: must be flagged when FLAG is on'] : []),
      ...(c.FLAG && c.PORT === 3000 ? ['PORT: must not be the default when FLAG is on'] : []),
    ];
    const ok = { DB_URL: 'postgres://h/db', NAME: 'x' };
    expect(loadConfig(shape, ok, rules).NAME).toBe('x');
    expect(() => loadConfig(shape, { ...ok, FLAG: 'true', PORT: '3001' }, rules)).toThrow(new ConfigError(['NAME: must be flagged when FLAG is on']));
    expect(() => loadConfig(shape, { ...ok, FLAG: 'true' }, rules)).toThrow(/NAME: must be flagged when FLAG is on; PORT: must not be the default/);
    // A shape that does not parse is reported as such: the rules never see it.
    expect(() => loadConfig(shape, { NAME: 'x', FLAG: 'true' }, rules)).toThrow(new ConfigError(['DB_URL: is required']));
  });
});
