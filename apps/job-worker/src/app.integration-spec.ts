import { createServiceApp, loadConfig } from '@phoenix/common';
import { describeServiceBasics, dropRedisPrefix, sideRedisUrl } from '@phoenix/common/testing';
import { AppModule } from './app.module';
import { configShape } from './config';
import { onlySchedules, uniqueJobsPrefix } from '../test/support';

const prefix = uniqueJobsPrefix();
afterAll(() => dropRedisPrefix(prefix));

describeServiceBasics(
  'job-worker',
  () => {
    const config = loadConfig(configShape, { ...process.env, ...onlySchedules({}), REDIS_URL: sideRedisUrl('job-worker'), JOBS_PREFIX: prefix });
    return createServiceApp({ service: 'job-worker', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test' });
  },
  ['redis', 'schedules'],
);
