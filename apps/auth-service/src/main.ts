import 'reflect-metadata';
import { loadConfigOrExit, startService } from '@phoenix/common';
import { AppModule } from './app.module';
import { configShape } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('auth-service', configShape);
  await startService({
    service: 'auth-service',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    description: 'The Gatekeeper: identity, subscriptions and anonymous token issuance (Privacy Pass issuer).',
    redisTransportUrl: config.REDIS_URL,
  });
}

void main();
