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
