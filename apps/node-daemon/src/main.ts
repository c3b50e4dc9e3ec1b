import 'reflect-metadata';
import { startService } from '@phoenix/common';
import { AppModule } from './app.module';
import { loadNodeConfigOrExit } from './config';

async function main(): Promise<void> {
  const config = loadNodeConfigOrExit();
  await startService({
    service: 'node-daemon',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    description: 'The edge agent on every VPN server (local health and metrics only).',
  });
}

void main();
