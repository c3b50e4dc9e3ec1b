import { describeConfigSchema } from '@phoenix/common/testing';
import { configShape } from './config';

describeConfigSchema(
  'analytics-service',
  configShape,
  {
    CLICKHOUSE_URL: 'http://127.0.0.1:8123',
    REDIS_URL: 'redis://127.0.0.1:6379',
  },
  ['CLICKHOUSE_URL', 'REDIS_URL'],
);
