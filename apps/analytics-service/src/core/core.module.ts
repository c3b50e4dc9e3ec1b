import { DynamicModule, Global, Module } from '@nestjs/common';
import { APP_CONFIG, Clock, provideConfig } from '@phoenix/common';
import type { AnalyticsConfig } from '../config';

/** Adapters every feature shares: the config and the clock. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: AnalyticsConfig): DynamicModule {
    return {
      module: CoreModule,
      providers: [provideConfig(config), Clock],
      exports: [APP_CONFIG, Clock],
    };
  }
}
