import 'reflect-metadata';
import { loadConfigOrExit, startService } from '@phoenix/common';
import { AppModule } from './app.module';
import { configShape } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('config-service', configShape);
  await startService({
    service: 'config-service',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    description: 'The Anonymizer: locations, node fleet, one-time token redemption and WireGuard configs.',
    redisTransportUrl: config.REDIS_URL,
  });
}

void main();
