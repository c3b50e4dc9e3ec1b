import { createServiceApp, loadConfig } from '@phoenix/common';
import { describeServiceBasics, sideRedisUrl } from '@phoenix/common/testing';
import { AppModule } from './app.module';
import { configShape } from './config';

describeServiceBasics(
  'analytics-service',
  () => {
    const config = loadConfig(configShape, { ...process.env, REDIS_URL: sideRedisUrl('analytics-service') });
    return createServiceApp({ service: 'analytics-service', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test' });
  },
  ['redis'],
);
