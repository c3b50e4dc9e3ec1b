import { createServiceApp, loadConfig } from '@phoenix/common';
import { describeHostileJson, dropRedisPrefix, sideRedisUrl } from '@phoenix/common/testing';
import { AppModule } from './app.module';
import { configShape } from './config';
import { onlySchedules, uniqueJobsPrefix } from '../test/support';

const prefix = uniqueJobsPrefix();
afterAll(() => dropRedisPrefix(prefix));

// No route of job-worker takes a body, but the platform parses every JSON body before routing (an
// unknown route answers 404 only after its body is parsed), so the same guard protects it.
describeHostileJson(
  'job-worker',
  async () => {
    const config = loadConfig(configShape, { ...process.env, ...onlySchedules({}), REDIS_URL: sideRedisUrl('job-worker'), JOBS_PREFIX: prefix });
    const app = await createServiceApp({ service: 'job-worker', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test' });
    await app.listen(0, '127.0.0.1');
    return { base: await app.getUrl(), close: () => app.close() };
  },
  [{ method: 'POST', path: '/health/live' }],
);
