import { describeConfigSchema } from '@phoenix/common/testing';
import { configShape } from './config';

describeConfigSchema(
  'job-worker',
  configShape,
  {
    REDIS_URL: 'redis://127.0.0.1:6379',
  },
  ['REDIS_URL'],
);
