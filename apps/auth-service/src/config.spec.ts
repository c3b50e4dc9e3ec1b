import { loadConfig } from '@phoenix/common';
import { describeConfigSchema } from '@phoenix/common/testing';
import { configShape } from './config';
import { bullPrefix } from './notifications/notifier';

describeConfigSchema(
  'auth-service',
  configShape,
  {
    IDENTITY_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/identity',
    REDIS_URL: 'redis://127.0.0.1:6379',
    FIREBASE_PROJECT_ID: 'demo-phoenix',
  },
  ['IDENTITY_DATABASE_URL', 'REDIS_URL', 'FIREBASE_PROJECT_ID'],
);

describe('auth-service Redis namespace', () => {
  const base = { IDENTITY_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/identity', REDIS_URL: 'redis://127.0.0.1:6379', FIREBASE_PROJECT_ID: 'demo-phoenix' };

  it('keeps every key and queue under identity:, the only keys its Redis user may touch', () => {
    const config = loadConfig(configShape, base);
    expect(config.REDIS_KEY_PREFIX).toBe('identity:');
    expect(config.BULLMQ_PREFIX).toBe('identity:{bull}');
    expect(() => loadConfig(configShape, { ...base, REDIS_KEY_PREFIX: 'identity:t-1234:', BULLMQ_PREFIX: 'identity:t-1234' })).not.toThrow();
    expect(() => loadConfig(configShape, { ...base, BULLMQ_PREFIX: 'identity:t-1234:{bull}' })).not.toThrow();
  });

  it('puts every key of the notifications queue in one Redis Cluster slot: a cluster refuses a prefix without a {hash tag}', () => {
    const cluster = { ...base, REDIS_URL: 'redis+cluster://u:p@127.0.0.1:1,127.0.0.1:2' };
    expect(bullPrefix(loadConfig(configShape, cluster))).toBe('identity:{bull}');
    expect(() => bullPrefix(loadConfig(configShape, { ...cluster, BULLMQ_PREFIX: 'identity:bull' }))).toThrow(/BULLMQ_PREFIX must hold a \{hash tag\}/);
    expect(bullPrefix(loadConfig(configShape, { ...base, BULLMQ_PREFIX: 'identity:bull' }))).toBe('identity:bull');
  });

  it.each([
    ['REDIS_KEY_PREFIX', 'auth:'],
    ['REDIS_KEY_PREFIX', 'network:'],
    ['BULLMQ_PREFIX', 'bull'],
    ['BULLMQ_PREFIX', 'identity:{a}{b}'],
    ['BULLMQ_PREFIX', 'identity:{}'],
  ])('refuses %s=%s outside identity:, naming it', (name, value) => {
    expect(() => loadConfig(configShape, { ...base, [name]: value })).toThrow(new RegExp(`${name}: must be identity:`));
  });
});

describe('auth-service SMTP settings', () => {
  const base = { IDENTITY_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/identity', REDIS_URL: 'redis://127.0.0.1:6379', FIREBASE_PROJECT_ID: 'demo-phoenix' };

  it('takes smtp: and smtps: URLs only', () => {
    expect(loadConfig(configShape, { ...base, SMTP_URL: 'smtp://127.0.0.1:52525' }).SMTP_URL).toBe('smtp://127.0.0.1:52525');
    expect(loadConfig(configShape, { ...base, SMTP_URL: 'smtps://u:p@mail.example.test:465' }).SMTP_URL).toBe('smtps://u:p@mail.example.test:465');
    for (const bad of ['http://127.0.0.1:25', '127.0.0.1:25', 'smtp']) expect(() => loadConfig(configShape, { ...base, SMTP_URL: bad })).toThrow(/SMTP_URL/);
  });

  it('refuses a From that could carry a header', () => {
    expect(() => loadConfig(configShape, { ...base, MAIL_FROM: 'a@b.test\r\nBcc: x@y.test' })).toThrow(/MAIL_FROM/);
    expect(loadConfig(configShape, base).MAIL_FROM).toBe('Phoenix VPN <no-reply@phoenix.invalid>');
  });
});
