import { loadConfig } from '@phoenix/common';
import { describeConfigSchema } from '@phoenix/common/testing';
import { configShape } from './config';

describeConfigSchema(
  'config-service',
  configShape,
  {
    NETWORK_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/network',
    REDIS_URL: 'redis://127.0.0.1:6379',
    ISSUER_DIRECTORY_URL: 'http://127.0.0.1:3001/.well-known/private-token-issuer-directory',
  },
  ['NETWORK_DATABASE_URL', 'REDIS_URL', 'ISSUER_DIRECTORY_URL'],
);

describe('config-service Redis namespace', () => {
  const base = {
    NETWORK_DATABASE_URL: 'postgres://u:p@127.0.0.1:5432/network',
    REDIS_URL: 'redis://127.0.0.1:6379',
    ISSUER_DIRECTORY_URL: 'http://127.0.0.1:3001/.well-known/private-token-issuer-directory',
  };

  it('keeps every key under network:, the only keys its Redis user may touch', () => {
    expect(loadConfig(configShape, base).REDIS_KEY_PREFIX).toBe('network:');
    expect(loadConfig(configShape, { ...base, REDIS_KEY_PREFIX: 'network:cfgtest:ab12:' }).REDIS_KEY_PREFIX).toBe('network:cfgtest:ab12:');
  });

  it.each(['cfg:', 'identity:', 'networkx:'])('refuses REDIS_KEY_PREFIX=%s outside network:, naming it', (value) => {
    expect(() => loadConfig(configShape, { ...base, REDIS_KEY_PREFIX: value })).toThrow(/REDIS_KEY_PREFIX: must be network:/);
  });
});
