import { Module } from '@nestjs/common';
import { APP_CONFIG, type RedisClient } from '@phoenix/common';
import { REDIS } from '@phoenix/database';
import type { AnalyticsConfig } from '../config';
import { IngestController } from './ingest.controller';
import { IngestMetrics } from './ingest.metrics';
import { IngestService } from './ingest.service';
import { TelemetryInserter } from './telemetry.inserter';
import { TelemetryQueue } from './telemetry.queue';
import { TelemetryRepository } from './telemetry.repository';

@Module({
  controllers: [IngestController],
  providers: [
    // The request path's queue, on the service's shared (fail-fast) Redis client.
    { provide: TelemetryQueue, inject: [REDIS, APP_CONFIG], useFactory: (redis: RedisClient, config: AnalyticsConfig) => new TelemetryQueue(redis, config.REDIS_KEY_PREFIX) },
    IngestMetrics,
    IngestService,
    TelemetryRepository,
    TelemetryInserter,
  ],
})
export class IngestModule {}
