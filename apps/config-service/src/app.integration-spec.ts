import { createServiceApp, loadConfig } from '@phoenix/common';
import { describeServiceBasics, sideRedisUrl } from '@phoenix/common/testing';
import { TestDb, createNetworkDb } from '../test/support';
import { AppModule } from './app.module';
import { configShape } from './config';

let db: TestDb;
beforeAll(async () => {
  db = await createNetworkDb();
});
afterAll(async () => {
  await db?.drop();
});

describeServiceBasics(
  'config-service',
  () => {
    const config = loadConfig(configShape, { ...process.env, NETWORK_DATABASE_URL: db.url, REDIS_URL: sideRedisUrl('config-service') });
    return createServiceApp({ service: 'config-service', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test' });
  },
  ['network-db', 'redis'],
);
