import 'reflect-metadata';
import { loadConfigOrExit, startService } from '@phoenix/common';
import { AppModule } from './app.module';
import { configShape } from './config';

async function main(): Promise<void> {
  const config = loadConfigOrExit('analytics-service', configShape);
  await startService({
    service: 'analytics-service',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    description: 'The Observer: anonymous telemetry into ClickHouse and dashboards.',
    redisTransportUrl: config.REDIS_URL,
  });
}

void main();
