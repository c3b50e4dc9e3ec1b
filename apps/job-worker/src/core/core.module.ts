import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, Clock, provideConfig } from '@phoenix/common';
import type { JobsConfig } from '../config';

/** What every feature shares: the config and the clock. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: JobsConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [provideConfig(config), Clock],
      exports: [APP_CONFIG, Clock],
    };
  }
}
