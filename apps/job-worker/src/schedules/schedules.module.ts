import { DynamicModule, Module } from '@nestjs/common';
import { BullModule, Processor } from '@nestjs/bullmq';
import { ControlModule } from '../control/control.module';
import type { JobsConfig } from '../config';
import { ScheduleRegistrar } from './schedule.registrar';
import { ScheduleRunsStore } from './schedule-runs.store';
import { ScheduleMetrics } from './schedules.metrics';
import { SchedulesProcessor } from './schedules.processor';
import { BLOCKLIST_QUEUE, SCHEDULES_QUEUE } from './schedules.queue';

/**
 * The queues (`schedules`, and `blocklist` whose sandboxed worker is BlocklistModule's), their
 * schedules' registrar, the `schedules` processor, the metrics. Needs `BullModule.forRoot`.
 */
@Module({})
export class SchedulesModule {
  static forRoot(config: JobsConfig): DynamicModule {
    // A worker's options are fixed when it is built, from the processor's decorator: applied here
    // so they come from the config.
    Processor(SCHEDULES_QUEUE, {
      concurrency: config.JOBS_CONCURRENCY,
      lockDuration: config.JOBS_LOCK_MS,
      stalledInterval: config.JOBS_LOCK_MS,
      // A run whose worker died twice is taken up again; a third time it fails (a poison run).
      maxStalledCount: 2,
    })(SchedulesProcessor);
    return {
      module: SchedulesModule,
      imports: [BullModule.registerQueue({ name: SCHEDULES_QUEUE }, { name: BLOCKLIST_QUEUE }), ControlModule.forRoot(config.REDIS_URL)],
      providers: [ScheduleRunsStore, ScheduleRegistrar, ScheduleMetrics, SchedulesProcessor],
      exports: [ScheduleRegistrar, ScheduleMetrics, BullModule],
    };
  }
}
