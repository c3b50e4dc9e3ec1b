import { DynamicModule, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { DependencyFailureRegistration } from './dependency-failure';
import { PostgresOptions, postgresOptions } from './postgres';

/**
 * Connects the DataSource in the background with capped backoff instead of blocking start-up:
 * a service whose database is down still starts, reports not-ready and answers 503, and heals
 * when the database returns.
 */
@Injectable()
class DataSourceConnector implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('Postgres');
  private stopped = false;
  private timer?: NodeJS.Timeout;

  constructor(private readonly ds: DataSource) {}

  onApplicationBootstrap(): void {
    void this.connect(0);
  }

  private async connect(attempt: number): Promise<void> {
    if (this.stopped || this.ds.isInitialized) return;
    try {
      await this.ds.initialize();
      this.logger.log('connected');
    } catch (e) {
      const delay = Math.min(250 * 2 ** attempt, 5000);
      this.logger.warn(`not reachable (${(e as Error).message}); retrying in ${delay} ms`);
      this.timer = setTimeout(() => void this.connect(attempt + 1), delay);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

@Module({})
export class PostgresModule {
  static forRoot(options: PostgresOptions): DynamicModule {
    return {
      module: PostgresModule,
      global: true,
      imports: [
        TypeOrmModule.forRootAsync({
          useFactory: () => ({ ...postgresOptions(options), manualInitialization: true }),
        }),
      ],
      providers: [DataSourceConnector, DependencyFailureRegistration],
    };
  }
}
