import { DynamicModule, Module } from '@nestjs/common';
import { BlocklistCompileWorker } from './blocklist-compile.worker';

/**
 * blocklist.compile's sandboxed worker. Its queue, schedule and metrics are the schedules module's
 * (`schedules`, the same dynamic module the app imports).
 */
@Module({})
export class BlocklistModule {
  static forRoot(schedules: DynamicModule): DynamicModule {
    return {
      module: BlocklistModule,
      imports: [schedules],
      providers: [BlocklistCompileWorker],
    };
  }
}
