import { DynamicModule, Module } from '@nestjs/common';
import { ClientsModule } from '@nestjs/microservices';
import { redisClientOptions } from '@phoenix/common';
import { CONTROL_TRANSPORT, ControlClient } from './control.client';

@Module({})
export class ControlModule {
  static forRoot(redisUrl: string): DynamicModule {
    return {
      module: ControlModule,
      imports: [ClientsModule.register([redisClientOptions(CONTROL_TRANSPORT, redisUrl)])],
      providers: [ControlClient],
      exports: [ControlClient],
    };
  }
}
