import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { BullModule, InjectQueue, Processor } from '@nestjs/bullmq';
import type { ConnectionOptions, Queue } from 'bullmq';
import { ControlModule } from '../control/control.module';
import type { JobsConfig } from '../config';
import { closeBullConnection } from './bull-connection';
import { ScheduleRegistrar } from './schedule.registrar';
import { ScheduleRunsStore } from './schedule-runs.store';
import { ScheduleMetrics } from './schedules.metrics';
import { SchedulesProcessor } from './schedules.processor';
import { BLOCKLIST_QUEUE, SCHEDULES_QUEUE } from './schedules.queue';

const BULL_CONNECTION = Symbol('BULL_CONNECTION');

/**
 * Closes the queues' and the worker's shared connection when it is a client (a Redis Cluster's,
 * see `bullConnection`): BullMQ never closes a client it was given. Nest shuts modules down from
 * the root on, and the worker last (its explorer is in BullModule's global module), so this closes
 * them first — BullMQ's close() is idempotent: Nest's own close of them later returns at once.
 */
@Injectable()
class BullConnectionCloser implements OnApplicationShutdown {
  constructor(
    @Inject(BULL_CONNECTION) private readonly connection: ConnectionOptions,
    @InjectQueue(SCHEDULES_QUEUE) private readonly schedules: Queue,
    @InjectQueue(BLOCKLIST_QUEUE) private readonly blocklist: Queue,
    private readonly processor: SchedulesProcessor,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (typeof (this.connection as { quit?: unknown }).quit !== 'function') return;
    let worker: { close(): Promise<void> } | undefined;
    try {
      worker = this.processor.worker;
    } catch {
      worker = undefined; // never started (Nest's getter throws until BullMQ's explorer made it)
    }
    await Promise.all([worker?.close(), this.schedules.close(), this.blocklist.close()]).catch(() => undefined);
    await closeBullConnection(this.connection);
  }
}

/**
 * The queues (`schedules`, and `blocklist` whose sandboxed worker is BlocklistModule's), their
 * schedules' registrar, the `schedules` processor, the metrics. Needs `BullModule.forRoot` with
 * `connection`.
 */
@Module({})
export class SchedulesModule {
  static forRoot(config: JobsConfig, connection: ConnectionOptions): DynamicModule {
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
      providers: [ScheduleRunsStore, ScheduleRegistrar, ScheduleMetrics, SchedulesProcessor, { provide: BULL_CONNECTION, useValue: connection }, BullConnectionCloser],
      exports: [ScheduleRegistrar, ScheduleMetrics, BullModule],
    };
  }
}
