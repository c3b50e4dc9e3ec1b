import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { ClientProxy, ClientsModule } from '@nestjs/microservices';
import { APP_CONFIG, Clock, provideConfig, redisClientOptions } from '@phoenix/common';
import type { NetworkConfig } from '../config';
import { Random } from './random';
import { RedisKeys } from './redis-keys';
import { RedisLock } from './redis-lock';

/** The Redis transport client config-service emits its events on (node announcements, fleet reports). */
export const NODE_TRANSPORT = Symbol('NODE_TRANSPORT');

@Injectable()
class TransportCloser implements OnApplicationShutdown {
  constructor(@Inject(NODE_TRANSPORT) private readonly client: ClientProxy) {}
  async onApplicationShutdown(): Promise<void> {
    await this.client.close();
  }
}

/** Adapters every feature shares: config, clock, randomness, Redis key names, the transport client. */
@Global()
@Module({})
export class CoreModule {
  static forRoot(config: NetworkConfig): DynamicModule {
    return {
      module: CoreModule,
      imports: [ClientsModule.register([redisClientOptions(NODE_TRANSPORT, config.REDIS_URL)])],
      providers: [
        provideConfig(config),
        { provide: RedisKeys, useValue: new RedisKeys(config.REDIS_KEY_PREFIX) },
        Clock,
        Random,
        RedisLock,
        TransportCloser,
      ],
      exports: [APP_CONFIG, RedisKeys, Clock, Random, RedisLock, ClientsModule],
    };
  }
}
