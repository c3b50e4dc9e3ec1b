import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServiceApp, loadConfig } from '@phoenix/common';
import { AppModule } from './app.module';
import { configShape } from './config';

async function build(configServiceUrl: string): Promise<{ app: NestFastifyApplication; base: string }> {
  const config = loadConfig(configShape, { ...process.env, CONFIG_SERVICE_URL: configServiceUrl });
  const app = await createServiceApp({ service: 'node-daemon', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test' });
  await app.listen(0, '127.0.0.1');
  return { app, base: await app.getUrl() };
}

describe('node-daemon readiness follows config-service', () => {
  let stub: Server;
  let stubUrl: string;

  beforeAll(async () => {
    // A stand-in for config-service's liveness endpoint.
    stub = createServer((req, res) => {
      res.writeHead(req.url === '/health/live' ? 200 : 404, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((r) => stub.close(() => r())));

  it('is live, and ready when config-service answers', async () => {
    const { app, base } = await build(stubUrl);
    try {
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok', checks: { 'config-service': 'up' } });
    } finally {
      await app.close();
    }
  });

  it('answers 503 UNAVAILABLE naming config-service when it cannot be reached', async () => {
    const { app, base } = await build('http://127.0.0.1:1');
    try {
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ statusCode: 503, code: 'UNAVAILABLE', message: 'not ready: config-service unavailable' });
    } finally {
      await app.close();
    }
  });
});
