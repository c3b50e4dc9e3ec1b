import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DependencyFailureRegistration } from './dependency-failure';
import type { RedisClient } from '@phoenix/common';
import type { RedisOptions } from 'ioredis';
import { createRedis } from './redis';

export const REDIS = Symbol('REDIS');

@Injectable()
class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly redis: RedisClient) {}
  // After the HTTP server has drained (Nest closes the server before shutdown hooks run).
  async onApplicationShutdown(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}

/** Provides one shared ioredis client (a `Redis`, or a `Cluster` for a `redis+cluster://` URL) under the `REDIS` token. */
@Module({})
export class RedisModule {
  static forRoot(url: string, connectionName: string, extra: RedisOptions = {}): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [{ provide: REDIS, useFactory: () => createRedis(url, connectionName, extra) }, RedisCloser, DependencyFailureRegistration],
      exports: [REDIS],
    };
  }
}
