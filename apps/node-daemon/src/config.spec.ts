import { describeConfigSchema } from '@phoenix/common/testing';
import { configShape } from './config';

describeConfigSchema(
  'node-daemon',
  configShape,
  {
    CONFIG_SERVICE_URL: 'http://127.0.0.1:3002',
  },
  ['CONFIG_SERVICE_URL'],
);
