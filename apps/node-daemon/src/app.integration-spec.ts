import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createServiceApp } from '@phoenix/common';
import { AppModule } from './app.module';
import { loadNodeConfig } from './config';

// The HTTP face of the daemon with WG_MODE=off (control plane only, the host network untouched);
// the data plane itself is exercised in network namespaces by node/node.netns.integration-spec.ts.
describe('node-daemon readiness follows config-service', () => {
  let stub: Server;
  let stubUrl: string;
  let stateDir: string;

  async function build(configServiceUrl: string): Promise<{ app: NestFastifyApplication; base: string }> {
    const config = loadNodeConfig({ NODE_ENV: 'test', LOG_LEVEL: 'error', CONFIG_SERVICE_URL: configServiceUrl, NODE_STATE_DIR: stateDir, WG_MODE: 'off' });
    const app = await createServiceApp({ service: 'node-daemon', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test' });
    await app.listen(0, '127.0.0.1');
    return { app, base: await app.getUrl() };
  }

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'phx-node-app-'));
    // A stand-in for config-service's liveness endpoint (its node endpoints answer 404 here).
    stub = createServer((req, res) => {
      res.writeHead(req.url === '/health/live' ? 200 : 404, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    });
    await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
    stubUrl = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => stub.close(() => r()));
    await rm(stateDir, { recursive: true, force: true });
  });

  it('is live, and ready when config-service answers', async () => {
    const { app, base } = await build(stubUrl);
    try {
      expect((await fetch(`${base}/health/live`)).status).toBe(200);
      const ready = await fetch(`${base}/health/ready`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ok', checks: { 'config-service': 'up', wireguard: 'up' } });
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

  it('serves node metrics on /metrics', async () => {
    const { app, base } = await build(stubUrl);
    try {
      const text = await (await fetch(`${base}/metrics`)).text();
      for (const name of ['phoenix_node_peers', 'phoenix_node_rx_bytes', 'phoenix_node_tx_bytes', 'phoenix_node_reconciles_total', 'phoenix_node_reconcile_errors_total', 'phoenix_node_last_reconcile_timestamp_seconds']) {
        expect(text).toContain(`# TYPE ${name} `);
      }
    } finally {
      await app.close();
    }
  });
});
