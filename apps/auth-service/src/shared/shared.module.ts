import { DynamicModule, Global, Module } from '@nestjs/common';
import { AdminGuard } from './admin.guard';
import { Clock } from './clock';
import { JsonBodyGuard } from './json-body.guard';
import { APP_CONFIG, AuthConfig } from './tokens';

/** The config, the clock and the guards every feature uses. */
@Global()
@Module({})
export class SharedModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return {
      module: SharedModule,
      providers: [{ provide: APP_CONFIG, useValue: config }, Clock, AdminGuard, JsonBodyGuard],
      exports: [APP_CONFIG, Clock, AdminGuard, JsonBodyGuard],
    };
  }
}
