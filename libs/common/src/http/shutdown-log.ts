import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';

/**
 * Marks the two ends of a graceful shutdown in the log. Nest runs `beforeApplicationShutdown`,
 * then closes the HTTP server (in-flight requests finish, new ones get 503), then runs
 * `onApplicationShutdown`, where the connection owners (Postgres, Redis, ClickHouse) close.
 */
@Injectable()
export class ShutdownLog implements BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('Shutdown');

  beforeApplicationShutdown(signal?: string): void {
    this.logger.log(`${signal ?? 'close'} received: draining requests`);
  }

  onApplicationShutdown(): void {
    this.logger.log('shut down cleanly');
  }
}
