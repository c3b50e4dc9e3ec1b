import { createServiceApp, loadConfig } from '@phoenix/common';
import { describeServiceBasics } from '@phoenix/common/testing';
import { TestDatabase, migratedTestDatabase, testEnv, uniquePrefix } from '../test/helpers';
import { configShape } from './config';
import { authServiceOptions } from './http';

let db: TestDatabase;
beforeAll(async () => {
  db = await migratedTestDatabase();
});
afterAll(async () => {
  await db?.drop();
});

describeServiceBasics(
  'auth-service',
  () => {
    const config = loadConfig(configShape, testEnv(db, uniquePrefix()));
    return createServiceApp(authServiceOptions(config, { port: 0, host: '127.0.0.1', description: 'test' }));
  },
  ['identity-db', 'redis'],
);
