import 'reflect-metadata';
import { loadConfigOrExit, startService } from '@phoenix/common';
import { AppModule } from './app.module';
import { configShape, nodeConfigRules } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('node-daemon', configShape, nodeConfigRules);
  await startService({
    service: 'node-daemon',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    description: 'The edge agent on every VPN server (local health and metrics only).',
  });
}

void main();
