import { Test } from '@nestjs/testing';
import { ServiceProcess, sideRedisUrl, spawnService, waitForHttp } from '@phoenix/common/testing';
import { RedisModule } from '@phoenix/database';
import { ControlClient } from './control.client';
import { ControlModule } from './control.module';

// A message from job-worker's control module reaches config-service — a separate process —
// through the real Redis, and the reply comes back.
describe('Redis transport between services', () => {
  const port = 3902;
  let configService: ServiceProcess;

  beforeAll(async () => {
    configService = spawnService('config-service', { ...process.env, PORT: String(port), LOG_LEVEL: 'warn' });
    await waitForHttp(`http://127.0.0.1:${port}/health/ready`);
  }, 60_000);

  afterAll(async () => {
    await configService?.stop();
  });

  it('sends platform.ping from job-worker and gets config-service’s reply', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [RedisModule.forRoot(sideRedisUrl('job-worker'), 'test'), ControlModule.forRoot(sideRedisUrl('job-worker'))] }).compile();
    await moduleRef.init();
    try {
      const reply = await moduleRef.get(ControlClient).ping();
      expect(reply.service).toBe('config-service');
      expect(Date.now() - Date.parse(reply.at)).toBeLessThan(10_000);
    } finally {
      await moduleRef.close();
    }
  });
});
