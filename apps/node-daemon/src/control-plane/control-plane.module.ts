import { DynamicModule, Module } from '@nestjs/common';
import { ConfigServiceClient } from './config-service.client';

@Module({})
export class ControlPlaneModule {
  static forRoot(configServiceUrl: string, enrollmentToken: string): DynamicModule {
    return {
      module: ControlPlaneModule,
      global: true,
      providers: [{ provide: ConfigServiceClient, useFactory: () => new ConfigServiceClient(configServiceUrl, enrollmentToken) }],
      exports: [ConfigServiceClient],
    };
  }
}
