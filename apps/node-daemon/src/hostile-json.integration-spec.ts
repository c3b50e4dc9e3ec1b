import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServiceApp } from '@phoenix/common';
import { describeHostileJson } from '@phoenix/common/testing';
import { AppModule } from './app.module';
import { loadNodeConfig } from './config';

// No route of node-daemon takes a body, but the platform parses every JSON body before routing (an
// unknown route answers 404 only after its body is parsed), so the same guard protects it. The
// control plane points at a closed port: only the daemon's own HTTP face is under test.
describeHostileJson(
  'node-daemon',
  async () => {
    const stateDir = await mkdtemp(join(tmpdir(), 'phx-node-hostile-'));
    const config = loadNodeConfig({ NODE_ENV: 'test', LOG_LEVEL: 'error', CONFIG_SERVICE_URL: 'http://127.0.0.1:1', NODE_STATE_DIR: stateDir, WG_MODE: 'off' });
    const app = await createServiceApp({ service: 'node-daemon', module: AppModule.forRoot(config), port: 0, host: '127.0.0.1', description: 'test' });
    await app.listen(0, '127.0.0.1');
    return {
      base: await app.getUrl(),
      close: async () => {
        await app.close();
        await rm(stateDir, { recursive: true, force: true });
      },
    };
  },
  [{ method: 'POST', path: '/health/live' }],
);
