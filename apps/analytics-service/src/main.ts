import 'reflect-metadata';
import { loadConfigOrExit, startService } from '@phoenix/common';
import { AppModule } from './app.module';
import { analyticsConfigRules, configShape } from './config';
import { EVENTS_BODY_LIMIT } from './ingest/ingest.controller';

async function main(): Promise<void> {
  const config = loadConfigOrExit('analytics-service', configShape, analyticsConfigRules);
  await startService({
    service: 'analytics-service',
    module: AppModule.forRoot(config),
    port: config.PORT,
    host: config.HOST,
    description: 'The Observer: anonymous telemetry into ClickHouse and dashboards.',
    redisTransportUrl: config.REDIS_URL,
    bodyLimit: EVENTS_BODY_LIMIT,
  });
}

void main();
