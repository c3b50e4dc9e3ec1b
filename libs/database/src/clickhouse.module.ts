import { DynamicModule, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import type { ClickHouseClient, ClickHouseSettings } from '@clickhouse/client';
import { createClickHouse } from './clickhouse';
import { DependencyFailureRegistration } from './dependency-failure';

export const CLICKHOUSE = Symbol('CLICKHOUSE');

@Injectable()
class ClickHouseCloser implements OnApplicationShutdown {
  constructor(@Inject(CLICKHOUSE) private readonly ch: ClickHouseClient) {}
  async onApplicationShutdown(): Promise<void> {
    await this.ch.close();
  }
}

/** Provides one shared ClickHouse client under the `CLICKHOUSE` token (sending `settings` with every query). */
@Module({})
export class ClickHouseModule {
  static forRoot(url: string, settings?: ClickHouseSettings): DynamicModule {
    return {
      module: ClickHouseModule,
      global: true,
      providers: [{ provide: CLICKHOUSE, useFactory: () => createClickHouse(url, undefined, settings) }, ClickHouseCloser, DependencyFailureRegistration],
      exports: [CLICKHOUSE],
    };
  }
}
