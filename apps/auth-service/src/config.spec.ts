import { describeConfigSchema } from '@phoenix/common/testing';
import { configShape } from './config';

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
