import { DynamicModule, Module } from '@nestjs/common';
import { PlatformModule } from '@phoenix/common';
import type { NodeConfig } from './config';
import { ConfigServiceClient } from './control-plane/config-service.client';
import { ControlPlaneModule } from './control-plane/control-plane.module';

export const APP_CONFIG = Symbol('APP_CONFIG');

@Module({})
export class AppModule {
  static forRoot(config: NodeConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ControlPlaneModule.forRoot(config.CONFIG_SERVICE_URL),
        PlatformModule.forRoot({
          service: 'node-daemon',
          logLevel: config.LOG_LEVEL,
          readiness: {
            inject: [ConfigServiceClient],
            useFactory: (cs: ConfigServiceClient) => [{ name: 'config-service', check: () => cs.live() }],
          },
        }),
      ],
      providers: [
        { provide: APP_CONFIG, useValue: config },
      ],
      exports: [APP_CONFIG],
    };
  }
}
